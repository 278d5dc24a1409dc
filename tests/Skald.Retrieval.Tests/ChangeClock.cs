using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// The kernel's clock for status changes (<c>ctime</c>), which ticks coarsely (a few milliseconds; Linux 6.13 and later
/// finer after a look): a test that changes a file it has just looked at waits until a change made now is stamped later
/// than that look, so that what it checks does not hang on whether the two fell within one tick.
/// </summary>
internal static class ChangeClock
{
    /// <summary>
    /// Returns once a change made in <paramref name="folder"/> is stamped later than <paramref name="changed"/> (a change
    /// time, <see cref="FileIdentity.StatusOf"/>), by changing a scratch file of its own there until it is. No time limit:
    /// the clock moves on.
    /// </summary>
    public static void PassBy(string folder, long changed)
    {
        string probe = Path.Combine(folder, ".change-clock");
        do File.WriteAllBytes(probe, [1]);
        while (FileIdentity.StatusOf(probe)!.Value.Changed <= changed);
        File.Delete(probe);
    }
}
