using System.Security.Cryptography;
using System.Text;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="ModelFingerprint"/> of the current kind covers the files the encoder reads (the folder's own and its
/// module chain's), not an export, a quantized copy or a cache beside them, while an index of the older kind is still
/// checked against every file.
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
}
