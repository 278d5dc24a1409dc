using Skald.Models.Checkpoints;

namespace Skald.Retrieval.Index;

/// <summary>
/// Puts an index back after a killed write (<see cref="StagingPaths.Recover(string, bool)"/>: the old folder moved back
/// when the kill came between the two renames, staging leftovers removed), with the write lock as the proof that their
/// writer has ended rather than the process id in their names, which the system may since have given to another
/// process (a recycled id would otherwise keep the old index aside and the index missing for good). A writer holds the
/// lock already, so every leftover is a dead writer's; a reader that finds leftovers takes the lock for the moment of
/// the clean-up, and, when a running writer holds it, leaves alone what a running process's id names (that writer's
/// staging, or a dead one's it will clean up itself). A search on another thread of a process whose writer holds the
/// lock leaves every leftover alone: the ones named by its own process id are that running writer's staging (or the
/// old folder it has just moved aside), and the writer cleans up dead writers' at its own start. Without leftovers
/// nothing is locked, so searches do not contend with writers.
/// </summary>
internal static class IndexRecovery
{
    /// <summary>
    /// Cleans up after dead writers of <paramref name="target"/>: the folder of the index in <paramref name="folder"/>,
    /// or one of its files (the tombstones).
    /// </summary>
    public static void Recover(string folder, string target)
    {
        target = RealPath.Of(target); // a writer stages beside the real folder, not beside a link to it (IndexWriter)
        if (!StagingPaths.HasSiblings(target)) return;
        if (IndexWriteLock.HeldHere(folder))
        {
            StagingPaths.Recover(target, writersGone: true);
            return;
        }
        if (IndexWriteLock.HeldInProcess(folder)) return; // a writer on another thread of ours is running
        IndexWriteLock? held;
        try
        {
            held = IndexWriteLock.TakeNow(folder); // a search does not wait for a writer
        }
        catch (EvaluationException)
        {
            if (IndexWriteLock.HeldInProcess(folder)) return; // taken this moment by a writer of ours
            StagingPaths.Recover(target); // a writer is running: only what no running process's id names
            return;
        }
        using (held) StagingPaths.Recover(target, writersGone: held is not null);
    }
}
