using Skald.Models.Checkpoints;

namespace Skald.Retrieval.Index;

/// <summary><see cref="SearchIndex"/>'s open of a folder that a writer in another process may replace meanwhile.</summary>
public sealed partial class SearchIndex
{
    /// <summary>Readings of the folder <see cref="Open"/> makes before it answers what the last one gave (or threw).</summary>
    private const int OpenAttempts = 20;

    /// <summary>
    /// Opens an index folder. No index there throws <see cref="DirectoryNotFoundException"/> (no such folder) or
    /// <see cref="FileNotFoundException"/> (a folder or file without the index's manifest; <see cref="FileNotFoundException.FileName"/>
    /// is the manifest's path), each naming the path; a damaged part throws <see cref="EvaluationException"/> naming the file.
    /// The files are read by their paths one after another, and a writer (an <c>index add --sync</c> in another process)
    /// may swap the folder between two of them: the index's state on the disk (<see cref="IndexGeneration"/>: manifest,
    /// records and tombstones) is taken before and after, and when it changed, or the folder was missing while a
    /// writer's swap was under way (its old folder moved aside, the new one not yet in), the files are read again, so a
    /// search never sees the manifest of one write beside the rows or vectors of another.
    /// </summary>
    public static SearchIndex Open(string folder)
    {
        for (int attempt = 1; ; attempt++)
        {
            string before = IndexGeneration.Of(folder);
            SearchIndex index;
            try
            {
                index = OpenOnce(folder);
            }
            catch (Exception e) when (e is IOException or EvaluationException && attempt < OpenAttempts && Replaced(folder, before))
            {
                Thread.Sleep(attempt); // a swap is two renames: the next reading comes after it
                continue;
            }
            if (attempt == OpenAttempts || IndexGeneration.Of(folder) == before) return index;
            index.Dispose(); // read across a write: read the new index again
        }
    }

    /// <summary>Whether the index in <paramref name="folder"/> is being replaced: its state is not <paramref name="before"/>, or its manifest is missing beside a writer's staging.</summary>
    private static bool Replaced(string folder, string before)
    {
        if (IndexGeneration.Of(folder) != before) return true;
        string real = RealPath.Of(folder);
        return !File.Exists(Path.Combine(real, IndexWriter.ManifestFile)) && StagingPaths.HasSiblings(real);
    }
}
