using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Training.Config;
using Skald.Training.Output;
using Skald.Training.Tests.TestSupport;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// <c>model.max_seq_length: N</c> trains exactly as the folder's own max_seq_length N would (sentence-transformers'
/// <c>model.max_seq_length = N</c> sets the same attribute the folder's sentence_bert_config.json does): the same loss
/// and evaluation values step for step and the same saved bytes, the saved folder recording N. N above what the model's
/// positions can read is one line naming the limit; a resume with another N is refused.
/// </summary>
public sealed class ModelMaxSeqLengthTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string Data()
    {
        string path = Path.Combine(dir, "pairs.jsonl");
        if (!File.Exists(path)) // every text far longer than 8 tokens
            File.WriteAllLines(path, Enumerable.Range(0, 20).Select(i =>
                $"{{\"anchor\": \"Hvor mange hus står langs elva i bygd nummer {i} om sommeren og vinteren?\", " +
                $"\"positive\": \"I bygd {i} står det {i + 3} hus langs elva, de fleste bygd av tre for lenge siden.\"}}"));
        return path;
    }

    private TrainingConfig Config(string model, string output, string key = "", int steps = 3) => ConfigLoader.Parse($$"""
        model: {path: {{model}}{{key}}}
        data: {train: {{Data()}}, eval_split: 4}
        training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: {{steps}}, logging_steps: 1, seed: 5}
        evaluation: {steps: 3}
        output: {dir: {{Path.Combine(dir, output)}}, save_steps: 2, tensorboard: false}
        """, "c.yaml");

    private (List<string> Log, byte[] Weights) Train(TrainingConfig config)
    {
        var result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        var log = MetricsLog.ReadAll(Path.Combine(config.Output.Dir, "metrics.jsonl"))
            .Select(r => string.Join(",", r.Where(kv => kv.Key.Contains("loss", StringComparison.Ordinal) || kv.Key.StartsWith("eval", StringComparison.Ordinal))
                .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value:R}"))).ToList();
        return (log, File.ReadAllBytes(Path.Combine(result.ModelPath, "model.safetensors")));
    }

    [Fact]
    public void TheKeyTrainsAsTheFoldersOwnValueWouldAndTheSavedFolderRecordsIt()
    {
        string fixture = InfraPaths.FixtureModel("bert-cased-mean"); // max_seq_length 64
        string copy = CopyWith(fixture, "sentence_bert_config.json", "max_seq_length", 8);

        var keyed = Train(Config(fixture, "keyed", ", max_seq_length: 8"));
        var folder = Train(Config(copy, "folder"));
        var plain = Train(Config(fixture, "plain"));
        Assert.Contains(keyed.Log, l => l.Contains("eval", StringComparison.Ordinal)); // evaluation ran, with the same values
        Assert.Equal(folder.Log, keyed.Log);
        Assert.True(folder.Weights.AsSpan().SequenceEqual(keyed.Weights), "the saved weights differ");
        Assert.NotEqual(plain.Log, keyed.Log); // the texts really were cut
        Assert.False(plain.Weights.AsSpan().SequenceEqual(keyed.Weights));

        string saved = Path.Combine(dir, "keyed", "final");
        Assert.Equal(8, JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "sentence_bert_config.json")))!["max_seq_length"]!.GetValue<int>());
        using var reloaded = SentenceEncoder.Load(saved);
        Assert.Equal(8, reloaded.MaxSeqLength); // skald encode / evaluate of the output cut there too
        // the card's Model Description line, as sentence-transformers' card gives it
        Assert.Contains("- **Maximum Sequence Length:** 8 tokens\n", File.ReadAllText(Path.Combine(saved, "README.md")).ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("- **Maximum Sequence Length:** 64 tokens\n", File.ReadAllText(Path.Combine(dir, "plain", "final", "README.md")).ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void AnLlm2VecModelTrainsAsItsMaxLengthWouldAndSavesIt()
    {
        // LLM2Vec's own training scripts pass their max_seq_length as LLM2Vec's max_length, which llm2vec_config.json keeps.
        string fixture = InfraPaths.FixtureModel("llm2vec-xlmr"); // max_length 64
        string copy = CopyWith(fixture, "llm2vec_config.json", "max_length", 8);
        var keyed = Train(Config(fixture, "keyed", ", max_seq_length: 8"));
        var folder = Train(Config(copy, "folder"));
        Assert.Equal(folder.Log, keyed.Log);
        Assert.True(folder.Weights.AsSpan().SequenceEqual(keyed.Weights), "the saved weights differ");
        Assert.Equal(8, JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "keyed", "final", "llm2vec_config.json")))!["max_length"]!.GetValue<int>());
    }

    // A max_length past the model's positions (llm2vec-xlmr reads 64: 66 less XLM-R's padding offset) is saved as what
    // the model reads, so that LLM2Vec is not asked for positions the model lacks and skald data generate, which sizes
    // passages by the file, agrees with skald index build, which sizes them by the loaded model (it was saved as 512).
    [Fact]
    public void AnLlm2VecMaxLengthPastThePositionsIsSavedAsWhatTheModelReads()
    {
        string copy = CopyWith(InfraPaths.FixtureModel("llm2vec-xlmr"), "llm2vec_config.json", "max_length", 512);
        using var model = SentenceEncoder.Load(copy);
        Assert.Equal(64, model.MaxSeqLength);
        string output = Path.Combine(dir, "saved");
        Directory.CreateDirectory(output);
        ModelSaver.WriteLlm2VecConfig(model, output);
        Assert.Equal(64, JsonNode.Parse(File.ReadAllText(Path.Combine(output, "llm2vec_config.json")))!["max_length"]!.GetValue<int>());
    }

    // A copy of the folder whose json file gives key the value n.
    private string CopyWith(string folder, string file, string key, int n)
    {
        string copy = Skald.Tests.TestPaths.CopyFolder(folder, Path.Combine(dir, "copy"));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(copy, file)))!.AsObject();
        json[key] = n;
        File.WriteAllText(Path.Combine(copy, file), json.ToJsonString());
        return copy;
    }

    [Theory]
    [InlineData("bert-cased-mean", 65, "65 is more than the 64 tokens", "(max_position_embeddings 64)")]
    [InlineData("xlmr-cls-f16", 65, "65 is more than the 64 tokens", "(max_position_embeddings 66 less the padding offset of its position ids)")]
    public void MoreThanThePositionsIsOneLine(string model, int n, string what, string why)
    {
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(InfraPaths.FixtureModel(model), "x", $", max_seq_length: {n}")));
        Assert.StartsWith($"model.max_seq_length: {what}", e.Message);
        Assert.EndsWith(why, e.Message);
        TrainingRun.Build(Config(InfraPaths.FixtureModel(model), "y", $", max_seq_length: {n - 1}")).Dispose(); // the limit itself is fine
        using var setup = TrainingRun.Build(Config(InfraPaths.FixtureModel(model), "z", ", max_seq_length: 20"));
        Assert.Equal(20, Assert.IsType<Skald.Training.Modeling.TrainableEncoder>(setup.Model).MaxSeqLength);
    }

    [Fact]
    public void AResumeWithAnotherLengthIsRefused()
    {
        string fixture = InfraPaths.FixtureModel("bert-cased-mean");
        new SentenceTrainer(TrainingRun.Build(Config(fixture, "out", ", max_seq_length: 8", steps: 2))).Run();
        var e = Assert.Throws<TrainingException>(() => new SentenceTrainer(TrainingRun.Build(Config(fixture, "out", ", max_seq_length: 16", steps: 4))).Run());
        Assert.Contains("other settings: model.max_seq_length changed (8 → 16);", e.Message);
        Assert.EndsWith("step-2", new SentenceTrainer(TrainingRun.Build(Config(fixture, "out", ", max_seq_length: 8", steps: 4))).Run().ResumedFrom);
    }
}
