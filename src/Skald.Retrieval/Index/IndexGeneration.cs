using System.Text;

namespace Skald.Retrieval.Index;

/// <summary>
/// Which state of an index folder is on the disk: every writer replaces the folder (<see cref="IndexWriter"/>: new
/// files renamed into place) or its <c>tombstones.txt</c> (<see cref="IndexBuilder.Delete"/>), so the state
/// (<see cref="FileState"/>: identity, change time, length and write time) of the manifest, the records and the tombstones tells one
/// write from the next. <see cref="IndexBuilder.Update"/> compares it before and after it
/// embeds without the lock; <see cref="LiveIndex"/> compares it with the served version's to open the folder again.
/// </summary>
internal static class IndexGeneration
{
    /// <summary>The state of the index in <paramref name="folder"/> as one string (equal for the same write).</summary>
    public static string Of(string folder)
    {
        string real = RealPath.Of(folder);
        var text = new StringBuilder();
        foreach (string name in new[] { IndexWriter.ManifestFile, IndexWriter.RecordsFile, IndexWriter.TombstonesFile })
            text.Append(name).Append(':').Append(FileState.Of(Path.Combine(real, name))).Append(';');
        return text.ToString();
    }
}
