using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="ModelFingerprint"/> of the current kind covers the files the encoder reads (the configs, tokenizer files
/// and weights it loads in the folder and its module chain's, torch.save ones where they are what loads), not a README, licence, a pytorch_model.bin beside safetensors, an export, a
/// quantized copy or a cache beside them, while an index of an older kind is still checked against the files that kind
/// counted; and a folder found the same by hashing is remembered in the index folder (<see cref="VerifiedModelStamp"/>)
/// for that fingerprint and that look of the folder only.
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

    // What bert-cased-mean's encoder reads: its modules.json names "" (Transformer), 1_Pooling and 2_Normalize (no
    // folder on disk); the Transformer's config, tokenizer and weights, the prompts, the pooling config. Not the
    // fixture's expected*.jsonl test data beside them.
    private static readonly string[] ReadFiles =
    [
        "1_Pooling/config.json", "config.json", "config_sentence_transformers.json", "model.safetensors", "modules.json",
        "sentence_bert_config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
    ];

    // What the older kind 1 counted: every file directly in the folders the encoder reads.
    private static string[] KindOneFiles(string model) => [.. Under(model, "", false), .. Under(model, "1_Pooling", false)];

    private static void Beside(string model)
    {
        foreach (var (file, text) in new[] { ("onnx/model.onnx", "an export"), ("int8/model.safetensors", "a quantized copy"),
            (".cache/blob", "a download cache"), ("README.md", "# The card"), ("notes/eval.json", "{}"), ("README", "The card, plain"),
            ("LICENSE", "Apache-2.0"), ("pytorch_model.bin", "torch weights not read beside safetensors"), ("model.onnx", "an export at the top"),
            ("vocab.txt", "[PAD]\n[UNK]"), ("model.fp16.safetensors", "another copy of the weights"), ("1_Pooling/NOTES.txt", "why mean") })
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
        string read = Sha(model, ReadFiles), stamp = ModelFingerprint.Stamp(model), every = ModelFingerprint.Of(model, 0), one = ModelFingerprint.Of(model, 1);
        Assert.Equal(4, ModelFingerprint.CurrentVersion);
        Assert.Equal(read, ModelFingerprint.Of(model));
        var current = new IndexManifest { Model = model, ModelSha256 = read, ModelFingerprintVersion = 2 };
        var kindOne = new IndexManifest { Model = model, ModelSha256 = one, ModelFingerprintVersion = 1 }; // no stamp: always hashed
        var older = new IndexManifest { Model = model, ModelSha256 = every };

        Beside(model);
        Assert.Equal(read, ModelFingerprint.Of(model));
        Assert.Equal(stamp, ModelFingerprint.Stamp(model));
        Assert.True(ModelFingerprint.Unchanged(current, model));
        Assert.Equal(Sha(model, Under(model, "", true)), ModelFingerprint.Of(model, 0)); // the oldest kind: every file, so the export counts
        Assert.NotEqual(every, ModelFingerprint.Of(model, 0));
        Assert.False(ModelFingerprint.Unchanged(older, model));
        Assert.Equal(Sha(model, KindOneFiles(model)), ModelFingerprint.Of(model, 1)); // kind 1: the README, licence and pickle beside the weights count
        Assert.NotEqual(one, ModelFingerprint.Of(model, 1));
        Assert.False(ModelFingerprint.Unchanged(kindOne, model));

        string pooling = Path.Combine(model, "1_Pooling", "config.json"); // a module the chain reads
        File.WriteAllText(pooling, File.ReadAllText(pooling).Replace("\"pooling_mode_mean_tokens\": true", "\"pooling_mode_mean_tokens\": false")
            .Replace("\"pooling_mode_max_tokens\": false", "\"pooling_mode_max_tokens\": true"));
        Assert.Equal(Sha(model, ReadFiles), ModelFingerprint.Of(model));
        Assert.NotEqual(read, ModelFingerprint.Of(model));
        Assert.False(ModelFingerprint.Unchanged(current, model));
    }

    [Theory]
    [InlineData("tokenizer.json")]
    [InlineData("config_sentence_transformers.json")]
    [InlineData("model.safetensors")]
    public void AFileTheEncoderReadsCountsStill(string file)
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string before = ModelFingerprint.Of(model);
        using (var stream = new FileStream(Path.Combine(model, file), FileMode.Append)) stream.WriteByte((byte)' ');
        Assert.Equal(Sha(model, ReadFiles), ModelFingerprint.Of(model));
        Assert.NotEqual(before, ModelFingerprint.Of(model));
    }

    [Fact]
    public void ShardedWeightsCountAsTheShardIndexNamesThem()
    {
        string model = Path.Combine(TestPaths.NewTempDir(), "sharded");
        Directory.CreateDirectory(model);
        File.WriteAllText(Path.Combine(model, "config.json"), "{\"model_type\": \"bert\"}");
        File.WriteAllText(Path.Combine(model, "tokenizer.json"), "{}");
        File.WriteAllText(Path.Combine(model, "model.safetensors.index.json"),
            "{\"weight_map\": {\"a.weight\": \"model-00001-of-00002.safetensors\", \"b.weight\": \"model-00002-of-00002.safetensors\", \"c.weight\": \"model-00002-of-00002.safetensors\"}}");
        File.WriteAllText(Path.Combine(model, "model-00001-of-00002.safetensors"), "shard one");
        File.WriteAllText(Path.Combine(model, "model-00002-of-00002.safetensors"), "shard two");
        File.WriteAllText(Path.Combine(model, "model-00001-of-00003.safetensors"), "a shard of an older save, named by no index");
        File.WriteAllText(Path.Combine(model, "pytorch_model.bin"), "pickle");
        string[] read = ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json", "tokenizer.json"];
        Assert.Equal(Sha(model, read), ModelFingerprint.Of(model));
        string before = ModelFingerprint.Of(model);
        File.WriteAllText(Path.Combine(model, "model-00002-of-00002.safetensors"), "shard two, trained again");
        Assert.NotEqual(before, ModelFingerprint.Of(model));
    }

    [Fact]
    public void TorchSaveWeightsCountWhenTheyAreWhatLoads()
    {
        // bert-uncased-max as torch.save files: pytorch_model.bin and 2_Dense/pytorch_model.bin are its weights
        string model = TestPaths.CopyFolder(TestPaths.FixtureModel(Path.Combine("torch-bin", "bert-uncased-max")), Path.Combine(TestPaths.NewTempDir(), "bin"));
        string all = Sha(model, Under(model, "", true).Where(f => !Path.GetFileName(f).StartsWith("expected", StringComparison.Ordinal)));
        Assert.Contains("2_Dense/pytorch_model.bin", Under(model, "", true));
        Assert.Equal(all, ModelFingerprint.Of(model));
        string before = ModelFingerprint.Of(model);
        using (var stream = new FileStream(Path.Combine(model, "2_Dense", "pytorch_model.bin"), FileMode.Append)) stream.WriteByte(0);
        Assert.NotEqual(before, ModelFingerprint.Of(model));
    }

    [Theory]
    [InlineData("bert-uncased-max")] // 1_Pooling, 2_Dense
    [InlineData("csr-bert-tiny")] // 3_SparseAutoEncoder
    [InlineData("splade-router-tiny")] // a Router: its document route's MLMTransformer and SpladePooling, its query route's SparseStaticEmbedding
    public void EveryFolderOfTheModuleChainCounts(string name)
    {
        string model = TestPaths.CopyOfFixtureModel(name); // every file in these folders is one the encoder reads, the fixture's test data aside
        string all = Sha(model, Under(model, "", true).Where(f => !Path.GetFileName(f).StartsWith("expected", StringComparison.Ordinal)));
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
        Assert.Equal(4, manifest.ModelFingerprintVersion);
        Assert.True(ModelFingerprint.Unchanged(manifest, model, index));
        Assert.False(File.Exists(remembered)); // the recorded stamp: nothing hashed, nothing to remember

        string config = Path.Combine(model, "config.json");
        File.SetLastWriteTimeUtc(config, File.GetLastWriteTimeUtc(config).AddMinutes(5)); // touched, the same bytes
        Assert.True(ModelFingerprint.Unchanged(manifest, model, index));
        var entry = JsonDocument.Parse(File.ReadAllText(remembered)).RootElement;
        Assert.Equal(Path.TrimEndingDirectorySeparator(Path.GetFullPath(model)), entry.GetProperty("model").GetString());
        Assert.Equal(manifest.ModelSha256, entry.GetProperty("model_sha256").GetString());
        Assert.Equal(4, entry.GetProperty("model_fingerprint_version").GetInt32());
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
