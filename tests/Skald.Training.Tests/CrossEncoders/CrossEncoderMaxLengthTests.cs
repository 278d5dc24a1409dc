using System.Text.Json.Nodes;
using Skald.Models.CrossEncoders;
using Skald.Training.Config;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// <c>model.max_seq_length: N</c> for a cross-encoder trains exactly as a folder whose tokenizer_config.json says
/// <c>model_max_length: N</c> (sentence-transformers' <c>CrossEncoder(max_length=N)</c> sets that attribute and saves
/// it with the tokenizer): the same losses step for step and the same saved weights; the saved folder (whole, or a
/// SEQ_CLS adapter) records N, and <see cref="CrossEncoder.Load"/> (<c>skald rerank</c>, evaluate) reads it back.
/// </summary>
public sealed class CrossEncoderMaxLengthTests
{
    private static readonly string CeBert = CorePaths.FixtureModel("ce-bert"); // model_max_length 40, 64 positions
    private readonly string dir = TestPaths.NewTempDir();

    private string Rows()
    {
        string path = Path.Combine(dir, "train.jsonl");
        if (!File.Exists(path)) // every pair far longer than 8 tokens
            File.WriteAllLines(path, Enumerable.Range(0, 16).Select(i =>
                $"{{\"query\": \"Hvor mange hus står langs elva i bygd nummer {i} om sommeren?\", " +
                $"\"document\": \"{(i % 2 == 0 ? $"I bygd {i} står det {i + 3} hus langs elva, de fleste av tre." : $"Katten i bygd {i} heter Mons og sover hele dagen.")}\", " +
                $"\"label\": {(i % 2 == 0 ? 1 : 0)}}}"));
        return path;
    }

    private TrainingConfig Config(string model, string output, string key = "", string lora = "") => ConfigLoader.Parse($$"""
        model: {path: {{model}}{{key}}}
        data: {train: {{Rows()}}}
        training: {batch_size: 4, learning_rate: 1.0e-2, max_steps: 3, logging_steps: 1, seed: 5}
        loss: {type: bce}
        {{lora}}
        output: {dir: {{Path.Combine(dir, output)}}, save_steps: 100, tensorboard: false}
        """, "ce.yaml");

    private (List<string> Losses, string Folder) Train(TrainingConfig config)
    {
        var result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        var losses = MetricsLog.ReadAll(Path.Combine(config.Output.Dir, "metrics.jsonl"))
            .Where(r => r.ContainsKey("loss")).Select(r => $"{r["loss"]:R}").ToList();
        return (losses, result.ModelPath);
    }

    private static byte[] Bytes(string folder, string file) => File.ReadAllBytes(Path.Combine(folder, file));

    private static int? SavedMaxLength(string folder)
    {
        string path = Path.Combine(folder, "tokenizer_config.json");
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!["model_max_length"]?.GetValue<int>() : null;
    }

    // A copy of ce-bert whose tokenizer_config.json says model_max_length n.
    private string CopyWith(int n)
    {
        string copy = Skald.Tests.TestPaths.CopyFolder(CeBert, Path.Combine(dir, "copy"));
        string file = Path.Combine(copy, "tokenizer_config.json");
        var json = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        json["model_max_length"] = n;
        File.WriteAllText(file, json.ToJsonString());
        return copy;
    }

    [Fact]
    public void TheKeyTrainsAsTheTokenizersOwnLengthWouldAndTheSavedFolderRecordsIt()
    {
        var keyed = Train(Config(CeBert, "keyed", ", max_seq_length: 8"));
        var folder = Train(Config(CopyWith(8), "folder"));
        var plain = Train(Config(CeBert, "plain"));
        Assert.Equal(3, keyed.Losses.Count);
        Assert.Equal(folder.Losses, keyed.Losses);
        Assert.Equal(Bytes(folder.Folder, "model.safetensors"), Bytes(keyed.Folder, "model.safetensors"));
        Assert.NotEqual(plain.Losses, keyed.Losses); // the pairs really were cut

        Assert.Equal(8, SavedMaxLength(keyed.Folder)); // where sentence-transformers keeps CrossEncoder(max_length=8)
        Assert.Equal(40, SavedMaxLength(plain.Folder)); // without the key, the source's as it was
        Assert.Equal(8, CrossEncoder.Load(keyed.Folder).MaxLength); // skald rerank / evaluate of the output cut there too
        Assert.Contains("- **Maximum Sequence Length:** 8 tokens", File.ReadAllText(Path.Combine(keyed.Folder, "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void ASeqClsAdapterSavesTheTokenizerWithTheLengthAndLoadsAtIt()
    {
        const string Lora = "lora: {r: 4, alpha: 8, dropout: 0, target_modules: [query, value], save: adapter}";
        var keyed = Train(Config(CeBert, "keyed", ", max_seq_length: 8", Lora));
        var folder = Train(Config(CopyWith(8), "folder", lora: Lora));
        Assert.Equal(folder.Losses, keyed.Losses);
        Assert.Equal(Bytes(folder.Folder, "adapter_model.safetensors"), Bytes(keyed.Folder, "adapter_model.safetensors"));

        Assert.Equal(8, SavedMaxLength(keyed.Folder)); // sentence-transformers saves the tokenizer beside the adapter
        Assert.True(File.Exists(Path.Combine(keyed.Folder, "tokenizer.json")));
        Assert.Null(SavedMaxLength(folder.Folder)); // the base's own length: the adapter loads at it from the base
        Assert.Equal(8, CrossEncoder.Load(keyed.Folder).MaxLength);
        Assert.Equal(8, CrossEncoder.Load(folder.Folder).MaxLength);

        string merged = Path.Combine(dir, "merged"); // skald merge keeps the adapter's length
        Skald.Training.CrossEncoders.CrossEncoderSaver.Save(CrossEncoder.Load(keyed.Folder), merged);
        Assert.Equal(8, SavedMaxLength(merged));
        Assert.Equal(8, CrossEncoder.Load(merged).MaxLength);
    }
}
