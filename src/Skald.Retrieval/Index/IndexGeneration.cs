using System.Globalization;
using System.Text;

namespace Skald.Retrieval.Index;

/// <summary>
/// Which state of an index folder is on the disk: every writer replaces the folder (<see cref="IndexWriter"/>: new
/// files renamed into place) or its <c>tombstones.txt</c> (<see cref="IndexBuilder.Delete"/>), so the identity
/// (<see cref="FileIdentity"/>: device and inode; none on Windows), length and write time of the manifest, the records
/// and the tombstones tell one write from the next. <see cref="IndexBuilder.Update"/> compares it before and after it
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
        {
            var file = new FileInfo(Path.Combine(real, name));
            text.Append(name).Append(':');
            if (!file.Exists)
            {
                text.Append("none;");
                continue;
            }
            text.Append(FileIdentity.Of(file.FullName)?.ToString(CultureInfo.InvariantCulture) ?? "-").Append(',')
                .Append(file.Length.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append(';');
        }
        return text.ToString();
    }
}
