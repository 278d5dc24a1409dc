using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Models.Architectures;
using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Output;

/// <summary>
/// Training NorBERT3 (custom code, auto_map) keeps what Python needs to load the result with trust_remote_code: the
/// source's *.py files, config.json's auto_map and sentence_bert_config.json's model/tokenizer/config args; and the
/// shipped recipe configs/norbert3-triplet.yaml runs on the tiny fixture.
/// </summary>
public sealed class NorbertSaveTests
{
    private static readonly string[] Texts = ["Hvor ligger legekontoret?", "Legekontoret ligger i sentrum.", "Det regner i Bergen."];

    private readonly string dir = InfraPaths.NewTempDir();

    private static string Triplets(int n) => string.Concat(Enumerable.Range(0, n).Select(i =>
        $"{{\"anchor\": \"Hvor ligger hus {i}?\", \"positive\": \"Huset {i} ligger i sentrum.\", \"negative\": \"Bilen {i} er rød.\"}}\n"));

    [Theory]
    [InlineData("norbert3-tiny-st")]
    [InlineData("norbert3-tiny")]
    public void TrainedFolderKeepsCustomCodeAutoMapAndSentenceBertArgs(string fixture)
    {
        string source = InfraPaths.FixtureModel(fixture);
        string data = InfraPaths.WriteFile(dir, "triplets.jsonl", Triplets(24));
        var config = ConfigLoader.Parse($"""
            model:
              path: {source}
              dropout: 0.1
            data:
              train: {data}
              columns: [anchor, positive, negative]
            training:
              batch_size: 8
              learning_rate: 1.0e-3
              max_steps: 3
              logging_steps: 1
            output:
              dir: {Path.Combine(dir, "run")}
              save_steps: 0
              tensorboard: false
            """, "t.yaml");
        var setup = TrainingRun.Build(config);
        Assert.IsType<Norbert>(Assert.IsType<Skald.Training.Modeling.TrainableEncoder>(setup.Model).Model.Transformer);
        var result = new SentenceTrainer(setup).Run();
        string saved = result.ModelPath;
        foreach (var py in new[] { "modeling_norbert.py", "configuration_norbert.py" })
            Assert.Equal(File.ReadAllText(Path.Combine(source, py)), File.ReadAllText(Path.Combine(saved, py)));
        var before = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!;
        var after = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))!;
        Assert.True(JsonNode.DeepEquals(before["auto_map"], after["auto_map"]));
        var stConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "sentence_bert_config.json")))!.AsObject();
        if (fixture == "norbert3-tiny-st")
        {
            foreach (var key in new[] { "model_args", "tokenizer_args", "config_args" })
                Assert.True(stConfig[key]!["trust_remote_code"]!.GetValue<bool>(), key);
        }
        Assert.Equal(32, stConfig["max_seq_length"]!.GetValue<int>());
        // The folder reloads as NorBERT3 with the trained weights.
        var reloaded = SentenceEncoder.Load(saved);
        Assert.IsType<Norbert>(reloaded.Transformer);
        var trained = setup.Model.Encode(Texts);
        var again = reloaded.Encode(Texts);
        var untrained = SentenceEncoder.Load(source).Encode(Texts);
        // The training model's Encode runs its padded pass; the reloaded SentenceEncoder skips the padding (BatchRows):
        // the same values up to summation order.
        for (int i = 0; i < Texts.Length; i++)
            for (int k = 0; k < trained[i].Length; k++)
                Assert.True(MathF.Abs(trained[i][k] - again[i][k]) <= 2e-5f, $"text {i} component {k}: {trained[i][k]} vs {again[i][k]}");
        Assert.NotEqual(untrained[0], again[0]);
    }

    [Fact]
    public void ShippedTripletRecipeRunsAsAQuickTestOnTheTinyModel()
    {
        string outDir = Path.Combine(dir, "recipe");
        var r = SkaldProcess.RunIn(InfraPaths.RepoRoot, "train", "--config", "configs/norbert3-triplet.yaml", "--quick-test",
            "--set", $"model.path={InfraPaths.FixtureModel("norbert3-tiny")}",
            "--set", "data.train=samples/data/train-triplets.jsonl",
            "--set", "data.eval=samples/data/eval/triplets.jsonl",
            "--set", "training.batch_size=8", "--set", "training.max_steps=3", "--set", "evaluation.batch_size=16",
            "--set", $"output.dir={outDir}");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("[quick test]", r.Stderr);
        string final = Path.Combine(outDir, "final");
        Assert.True(File.Exists(Path.Combine(final, "modeling_norbert.py")));
        Assert.IsType<Norbert>(SentenceEncoder.Load(final).Transformer);
        Assert.Contains("eval_triplet_accuracy", File.ReadAllText(Path.Combine(outDir, "metrics.jsonl")));
    }
}
