using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="ModelFingerprint"/> of the current kind covers the files the encoder reads (the folder's own and its
/// module chain's), not an export, a quantized copy or a cache beside them, while an index of the older kind is still
/// checked against every file; and a folder found the same by hashing is remembered in the index folder
/// (<see cref="VerifiedModelStamp"/>) for that fingerprint and that look of the folder only.
/// </summary>
public sealed class ModelFingerprintFilesTests
{
    // The fingerprint's formula, written out here: SHA-256 over "path\0sha256(bytes)\n" in ordinal path order.
    private static string Sha(string root, IEnumerable<string> relative)
    {
        var text = new StringBuilder();
        foreach (var r in relative.Order(StringComparer.Ordinal))
            text.Append(r).Append('\0').Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, r))))).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static bool Counted(string relative) =>
        !relative.EndsWith(".md", StringComparison.OrdinalIgnoreCase) && !relative.Split('/').Any(part => part.StartsWith('.'));

    private static IEnumerable<string> Under(string root, string sub, bool recurse) =>
        Directory.EnumerateFiles(Path.Combine(root, sub), "*", recurse ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Where(Counted);

    // bert-cased-mean's modules.json names "" (Transformer), 1_Pooling and 2_Normalize (no folder on disk).
    private static string[] ReadFiles(string model) => [.. Under(model, "", false), .. Under(model, "1_Pooling", false)];

    private static void Beside(string model)
    {
        foreach (var (file, text) in new[] { ("onnx/model.onnx", "an export"), ("int8/model.safetensors", "a quantized copy"),
            (".cache/blob", "a download cache"), ("README.md", "# The card"), ("notes/eval.json", "{}") })
        {
            string path = Path.Combine(model, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }
    }

    [Fact]
    public void FilesTheEncoderDoesNotReadDoNotCount()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string read = Sha(model, ReadFiles(model)), stamp = ModelFingerprint.Stamp(model), every = ModelFingerprint.Of(model, 0);
        Assert.Equal(read, ModelFingerprint.Of(model));
        var current = new IndexManifest { Model = model, ModelSha256 = read, ModelFingerprintVersion = 1 };
        var older = new IndexManifest { Model = model, ModelSha256 = every }; // no stamp: always hashed

        Beside(model);
        Assert.Equal(read, ModelFingerprint.Of(model));
        Assert.Equal(stamp, ModelFingerprint.Stamp(model));
        Assert.True(ModelFingerprint.Unchanged(current, model));
        Assert.Equal(Sha(model, Under(model, "", true)), ModelFingerprint.Of(model, 0)); // the older kind: every file, so the export counts
        Assert.NotEqual(every, ModelFingerprint.Of(model, 0));
        Assert.False(ModelFingerprint.Unchanged(older, model));

        string pooling = Path.Combine(model, "1_Pooling", "config.json"); // a module the chain reads
        File.WriteAllText(pooling, File.ReadAllText(pooling).Replace("\"pooling_mode_mean_tokens\": true", "\"pooling_mode_mean_tokens\": false")
            .Replace("\"pooling_mode_max_tokens\": false", "\"pooling_mode_max_tokens\": true"));
        Assert.Equal(Sha(model, ReadFiles(model)), ModelFingerprint.Of(model));
        Assert.NotEqual(read, ModelFingerprint.Of(model));
        Assert.False(ModelFingerprint.Unchanged(current, model));
    }

    [Theory]
    [InlineData("bert-uncased-max")] // 1_Pooling, 2_Dense
    [InlineData("csr-bert-tiny")] // 3_SparseAutoEncoder
    [InlineData("splade-router-tiny")] // a Router: its document route's MLMTransformer and SpladePooling, its query route's SparseStaticEmbedding
    public void EveryFolderOfTheModuleChainCounts(string name)
    {
        string model = TestPaths.CopyOfFixtureModel(name); // every file in these folders is one the encoder reads
        string all = Sha(model, Under(model, "", true));
        Assert.Equal(all, ModelFingerprint.Of(model));
        Beside(model);
        Assert.Equal(all, ModelFingerprint.Of(model));
    }

    [Fact]
    public void AFolderFoundTheSameByHashingIsRememberedForThatFingerprintAndLook()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean"), index = TestPaths.NewTempDir();
        string remembered = Path.Combine(index, "model-verified.json");
        var manifest = ModelFingerprint.Record(new IndexManifest { Model = model }, model);
        Assert.Equal(1, manifest.ModelFingerprintVersion);
        Assert.True(ModelFingerprint.Unchanged(manifest, model, index));
        Assert.False(File.Exists(remembered)); // the recorded stamp: nothing hashed, nothing to remember

        string config = Path.Combine(model, "config.json");
        File.SetLastWriteTimeUtc(config, File.GetLastWriteTimeUtc(config).AddMinutes(5)); // touched, the same bytes
        Assert.True(ModelFingerprint.Unchanged(manifest, model, index));
        var entry = JsonDocument.Parse(File.ReadAllText(remembered)).RootElement;
        Assert.Equal(Path.TrimEndingDirectorySeparator(Path.GetFullPath(model)), entry.GetProperty("model").GetString());
        Assert.Equal(manifest.ModelSha256, entry.GetProperty("model_sha256").GetString());
        Assert.Equal(1, entry.GetProperty("model_fingerprint_version").GetInt32());
        string now = ModelFingerprint.Stamp(model);
        Assert.NotEqual(manifest.ModelFilesStamp, now);
        Assert.Equal(now, entry.GetProperty("model_files_stamp").GetString());

        Assert.True(VerifiedModelStamp.Holds(index, manifest, model, now));
        Assert.False(VerifiedModelStamp.Holds(index, manifest with { ModelSha256 = new string('0', 64) }, model, now)); // rebuilt with another model
        Assert.False(VerifiedModelStamp.Holds(index, manifest with { ModelFingerprintVersion = 0 }, model, now));
        Assert.False(VerifiedModelStamp.Holds(index, manifest, TestPaths.NewTempDir(), now)); // another folder
        File.SetLastWriteTimeUtc(config, File.GetLastWriteTimeUtc(config).AddMinutes(5)); // touched again: not the look verified
        Assert.False(VerifiedModelStamp.Holds(index, manifest, model, ModelFingerprint.Stamp(model)));

        File.WriteAllText(remembered, "{\"model\": "); // malformed: ignored, the files are hashed and remembered again
        Assert.True(ModelFingerprint.Unchanged(manifest, model, index));
        Assert.True(VerifiedModelStamp.Holds(index, manifest, model, ModelFingerprint.Stamp(model)));
        Assert.Empty(Directory.EnumerateFiles(index, ".tmp-*"));

        string copy = TestPaths.CopyOfFixtureModel("bert-cased-mean"); // a copy elsewhere: hashed once, then remembered
        Assert.True(ModelFingerprint.Matches(manifest, copy, index));
        Assert.True(VerifiedModelStamp.Holds(index, manifest, copy, ModelFingerprint.Stamp(copy)));
    }
}
