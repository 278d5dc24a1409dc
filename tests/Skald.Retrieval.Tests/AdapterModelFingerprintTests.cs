using System.Security.Cryptography;
using System.Text;
using Skald.Models.Adapters;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="ModelFingerprint"/> of an adapter folder given as the model (kind 3) covers what loading it reads: the
/// adapter's files and its base's, the base's named by their place in the chain, so a changed base is a changed model,
/// a copy of the adapter over the same base is the same one, and an index of kind 2 (the adapter's files alone) still
/// checks as it did.
/// </summary>
public sealed class AdapterModelFingerprintTests
{
    // What bert-cased-mean's encoder reads (as ModelFingerprintFilesTests lists it).
    private static readonly string[] BaseFiles =
    [
        "1_Pooling/config.json", "config.json", "config_sentence_transformers.json", "model.safetensors", "modules.json",
        "sentence_bert_config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
    ];

    // The fingerprint's formula written out: SHA-256 over "name\0sha256(bytes)\n" in ordinal name order.
    private static string Sha(IEnumerable<(string Name, string File)> files)
    {
        var text = new StringBuilder();
        foreach (var (name, file) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
            text.Append(name).Append('\0').Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)))).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string Adapter(string folder, string baseValue) => BertLoraFolder.Write(folder, baseValue);

    private static (string, string)[] AdapterFiles(string adapter) =>
        [(PeftAdapters.ConfigFile, Path.Combine(adapter, PeftAdapters.ConfigFile)), (PeftAdapters.WeightsFile, Path.Combine(adapter, PeftAdapters.WeightsFile))];

    [Fact]
    public void TheFingerprintOfAnAdapterFolderCoversItsBaseAndNoticesABaseChanged()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string adapter = Adapter(Path.Combine(TestPaths.NewTempDir(), "lora"), model);
        string expected = Sha([.. AdapterFiles(adapter), .. BaseFiles.Select(f => ("~base/" + f, Path.Combine(model, f)))]);
        Assert.Equal(4, ModelFingerprint.CurrentVersion);
        Assert.Equal(expected, ModelFingerprint.Of(adapter));
        var manifest = ModelFingerprint.Record(new IndexManifest { Model = adapter }, adapter);
        Assert.Equal(4, manifest.ModelFingerprintVersion);
        // an index of kind 2 (written before): the adapter's files only, still checked as then
        var kindTwo = new IndexManifest { Model = adapter, ModelSha256 = Sha(AdapterFiles(adapter)), ModelFilesStamp = ModelFingerprint.Stamp(adapter, 2), ModelFingerprintVersion = 2 };
        Assert.True(ModelFingerprint.Unchanged(manifest, adapter));
        Assert.True(ModelFingerprint.Unchanged(kindTwo, adapter));

        string weights = Path.Combine(model, "model.safetensors"); // the base trained again in place: one weight's bytes differ
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(weights, bytes);
        Assert.False(ModelFingerprint.Unchanged(manifest, adapter));
        Assert.NotEqual(expected, ModelFingerprint.Of(adapter));
    }

    [Fact]
    public void ACopyOfAnAdapterFolderOverTheSameBaseIsTheSameModel()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string adapter = Adapter(Path.Combine(TestPaths.NewTempDir(), "lora"), model);
        var manifest = ModelFingerprint.Record(new IndexManifest { Model = adapter }, adapter);
        string copy = Path.Combine(TestPaths.NewTempDir(), "moved");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(adapter)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        Assert.True(ModelFingerprint.Matches(manifest, copy));

        string other = Adapter(Path.Combine(TestPaths.NewTempDir(), "lora"), TestPaths.CopyOfFixtureModel("bert-uncased-max"));
        File.Copy(Path.Combine(adapter, PeftAdapters.WeightsFile), Path.Combine(other, PeftAdapters.WeightsFile), overwrite: true);
        Assert.False(ModelFingerprint.Matches(manifest, other)); // the same adapter's bytes on another base
    }
}
