using System.Buffers.Binary;
using System.Text.Json.Nodes;

namespace Skald.Cli.Tests;

/// <summary>
/// Broken model folders: one line naming the file and key, exit 1, no output (issue 18). A model whose embeddings are
/// not finite is an error, never NaN in a file or a silent score of 0.
/// </summary>
public sealed class ModelReliabilityTests
{
    private readonly string dir = TestPaths.NewTempDir();

    /// <summary>A copy of the bert-cased-mean fixture (or <paramref name="fixture"/>), edited.</summary>
    private string Model(Action<string>? edit = null, string fixture = "bert-cased-mean")
    {
        string model = Path.Combine(dir, $"m{Guid.NewGuid():N}");
        Directory.CreateDirectory(model);
        string source = TestPaths.FixtureModel(fixture);
        foreach (var f in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(model, Path.GetRelativePath(source, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        edit?.Invoke(model);
        return model;
    }

    private static void EditJson(string path, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    /// <summary>Every weight of model.safetensors becomes <paramref name="value"/> (the header is kept).</summary>
    private static void FillWeights(string model, float value)
    {
        string path = Path.Combine(model, "model.safetensors");
        byte[] bytes = File.ReadAllBytes(path);
        long start = 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        for (long i = start; i + 4 <= bytes.Length; i += 4) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)i), value);
        File.WriteAllBytes(path, bytes);
    }

    private (SkaldProcess.Result Result, string Output) Encode(string model)
    {
        string input = Path.Combine(dir, "in.txt"), output = Path.Combine(dir, $"o{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(input, "Hei på deg\nHvor ligger Bergen?\n");
        return (InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", output), output);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteWeightsAreAnErrorNotNaNInTheOutput(float value)
    {
        string model = Model(m => FillWeights(m, value));
        var (r, output) = Encode(model);
        SkaldProcess.AssertUserError(r, 1, model, "non-finite embedding (NaN or infinity) for text ");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void EvaluatingANaNModelIsAnErrorNotAScoreOfZero()
    {
        string model = Model(m => FillWeights(m, float.NaN));
        string task = BeirFolder.Write(
            "{\"_id\": \"d1\", \"text\": \"Bergen ligger på Vestlandet.\"}\n{\"_id\": \"d2\", \"text\": \"Oslo er hovedstaden.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Hvor ligger Bergen?\"}\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        var r = InProcessSkald.Capture("evaluate", "--model", model, "--task", task);
        SkaldProcess.AssertUserError(r, 1, model, "non-finite embedding");
    }

    [Fact]
    public void NegativeLayerNormEpsIsNamed()
    {
        string model = Model(m => EditJson(Path.Combine(m, "config.json"), c => c["layer_norm_eps"] = -1));
        var (r, output) = Encode(model);
        SkaldProcess.AssertUserError(r, 1, Path.Combine(model, "config.json"), "\"layer_norm_eps\" must be a small positive number, found -1");
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("bert-cased-mean", "config.json", "\"bert\"")]
    [InlineData("bert-cased-mean", "config_sentence_transformers.json", "\"query: \"")]
    [InlineData("bert-sharded", "model.safetensors.index.json", "\"model-00001")]
    [InlineData("ce-bert", "config.json", "\"BertForSequenceClassification")]
    public void AConfigThatIsNotUtf8IsNamedByLineAndOffset(string fixture, string file, string value)
    {
        // "bært" in Latin-1: model_type was an internal error (exit 70, "Cannot transcode invalid UTF-8 JSON text"),
        // as were a query prompt, a shard's name and, asked whether the folder is a cross-encoder, its architecture
        string model = Model(fixture: fixture), path = Path.Combine(model, file);
        byte[] bytes = File.ReadAllBytes(path);
        int at = System.Text.Encoding.ASCII.GetString(bytes).IndexOf(value, StringComparison.Ordinal) + 2;
        bytes[at] = 0xE6;
        File.WriteAllBytes(path, bytes);
        int line = 1 + bytes.Take(at).Count(b => b == (byte)'\n');
        string problem = $"{path}:{line}: not valid UTF-8 (byte 0xE6 at offset {at}); save the file as UTF-8";
        var (r, output) = Encode(model);
        SkaldProcess.AssertUserError(r, 1, problem);
        Assert.False(File.Exists(output));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("quantize", "--model", model, "--output", Path.Combine(dir, $"q{Guid.NewGuid():N}")), 1, problem);
    }

    [Fact]
    public void NegativeMaxSeqLengthIsNamed()
    {
        string model = Model(m => EditJson(Path.Combine(m, "sentence_bert_config.json"), c => c["max_seq_length"] = -5));
        var (r, _) = Encode(model);
        SkaldProcess.AssertUserError(r, 1, "sentence_bert_config.json", "\"max_seq_length\" must be a positive integer, found -5");
    }

    [Fact]
    public void TokenizerIdsBeyondTheEmbeddingTableAreNamedAtLoad()
    {
        string model = Model(m =>
        {
            int rows = JsonNode.Parse(File.ReadAllText(Path.Combine(m, "config.json")))!["vocab_size"]!.GetValue<int>();
            EditJson(Path.Combine(m, "tokenizer.json"), t => t["model"]!["vocab"]!["zzz"] = rows + 5);
        });
        var (r, output) = Encode(model);
        SkaldProcess.AssertUserError(r, 1, Path.Combine(model, "tokenizer.json"), "token ids go up to", "the tokenizer does not belong to this model");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void WeightsLinkedToADeviceAreRefused()
    {
        string model = Model(m =>
        {
            File.Delete(Path.Combine(m, "model.safetensors"));
            File.CreateSymbolicLink(Path.Combine(m, "model.safetensors"), "/dev/zero");
        });
        var (r, output) = Encode(model);
        SkaldProcess.AssertUserError(r, 1, Path.Combine(model, "model.safetensors"), "/dev/zero");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void ModulePathOutsideTheFolderIsRefused()
    {
        string other = Model();
        string model = Model();
        var modules = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "modules.json")))!.AsArray();
        modules[1]!["path"] = Path.Combine("..", Path.GetFileName(other), "1_Pooling");
        File.WriteAllText(Path.Combine(model, "modules.json"), modules.ToJsonString());
        var (r, _) = Encode(model);
        SkaldProcess.AssertUserError(r, 1, "modules.json: module 1 path points outside the model folder");
    }

    [Fact]
    public void ModuleFolderLinkedOutsideIsRefused()
    {
        string other = Model();
        string model = Model(m =>
        {
            Directory.Delete(Path.Combine(m, "1_Pooling"), recursive: true);
            Directory.CreateSymbolicLink(Path.Combine(m, "1_Pooling"), Path.Combine(other, "1_Pooling"));
        });
        var (r, _) = Encode(model);
        SkaldProcess.AssertUserError(r, 1, "1_Pooling is a link to", "outside the model folder");
    }

    [Fact]
    public void HubCacheSnapshotLinkingIntoBlobsLoads()
    {
        // huggingface_hub's cache: snapshots/<sha>/<file> are links to ../../blobs/<hash>.
        string repo = Path.Combine(dir, "hub", "models--org--name");
        string snapshot = Path.Combine(repo, "snapshots", "abc123");
        string blobs = Path.Combine(repo, "blobs");
        Directory.CreateDirectory(blobs);
        string source = Model();
        foreach (var f in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(source, f);
            string blob = Path.Combine(blobs, Guid.NewGuid().ToString("N"));
            File.Copy(f, blob);
            string link = Path.Combine(snapshot, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, blob));
        }
        var (r, output) = Encode(snapshot);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(2, File.ReadAllLines(output).Length);
    }

    [Fact]
    public void DistillingANaNModelIsAnError()
    {
        string model = Model(m => FillWeights(m, float.NaN));
        string output = Path.Combine(dir, "static");
        var r = InProcessSkald.Capture("static", "distill", "--model", model, "--output", output, "--dim", "8");
        SkaldProcess.AssertUserError(r, 1, model, "non-finite token states");
        Assert.False(Directory.Exists(output));
    }
}
