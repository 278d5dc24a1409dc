using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Models.Checkpoints;

namespace Skald.Retrieval.Index;

/// <summary>
/// <c>model-verified.json</c> in an index folder: the last model folder whose files were hashed and found to have the
/// fingerprint <c>index.json</c> records, with the <see cref="ModelFingerprint.Stamp"/> (names, sizes, times, change
/// times) they had then. While that folder shows the same stamp it is trusted without reading its files again: a
/// touched or copied model, or one whose recorded stamp holds no change times (an older index, one made on another
/// system), is hashed once, not on every search or server start.
/// </summary>
/// <remarks>
/// A hint, never the record: <c>index.json</c> is not rewritten (a search could otherwise undo a concurrent
/// <c>index add</c>, and <see cref="LiveIndex"/> would reload for nothing). The file is written through a temporary
/// sibling and a rename, so readers see a whole one or none; it holds the fingerprint it was verified against and is
/// trusted only while <c>index.json</c> records that one (an index rebuilt with another model ignores it); an index
/// rewritten by <c>index add</c> or <c>build</c> drops it (the new <c>index.json</c> records the stamp anyway). A
/// missing, unreadable or malformed file, or an index folder that cannot be written (a read-only image), only means
/// the files are hashed (once a process: <see cref="ModelFingerprint.Of"/>'s cache then reads no file while none
/// changed), never an error.
/// </remarks>
internal static class VerifiedModelStamp
{
    /// <summary>The file's name in the index folder.</summary>
    public const string FileName = "model-verified.json";

    /// <summary>Whether the index in <paramref name="index"/> remembers <paramref name="folder"/> showing <paramref name="stamp"/> as the model <paramref name="manifest"/> records.</summary>
    public static bool Holds(string index, IndexManifest manifest, string folder, string stamp)
    {
        try
        {
            string path = Path.Combine(index, FileName);
            if (!File.Exists(path)) return false;
            var entry = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
            return entry is not null
                && Text(entry, "model") == Normal(folder)
                && Text(entry, "model_sha256") == manifest.ModelSha256
                && Text(entry, "model_files_stamp") == stamp
                && entry["model_fingerprint_version"] is JsonValue v && v.TryGetValue(out int version) && version == manifest.ModelFingerprintVersion;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Remembers in <paramref name="index"/> that <paramref name="folder"/>, showing <paramref name="stamp"/>, was hashed and found to be the model <paramref name="manifest"/> records.</summary>
    public static void Remember(string index, IndexManifest manifest, string folder, string stamp)
    {
        string path = Path.GetFullPath(Path.Combine(index, FileName));
        string tmp = StagingPaths.Temp(path);
        try
        {
            StagingPaths.Recover(path);
            var entry = new JsonObject
            {
                ["model"] = Normal(folder),
                ["model_fingerprint_version"] = manifest.ModelFingerprintVersion,
                ["model_sha256"] = manifest.ModelSha256,
                ["model_files_stamp"] = stamp,
            };
            File.WriteAllText(tmp, entry.ToJsonString(IndexWriter.Json) + "\n");
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // not remembered: the next check hashes the files again
        }
        finally
        {
            try { if (File.Exists(tmp)) File.Delete(tmp); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static string? Text(JsonObject entry, string key) =>
        entry[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static string Normal(string folder) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
}
