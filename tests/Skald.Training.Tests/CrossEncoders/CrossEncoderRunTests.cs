using System.Text.Json;
using Skald.Models;
using Skald.Models.CrossEncoders;
using Skald.Training.Config;
using Skald.Training.CrossEncoders;
using Skald.Training.Data;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// <c>loss.type: bce</c> through the trainer (<see cref="TrainingRun"/>, as <c>skald train</c> runs it): a cross-encoder
/// trained from an embedding model's folder (a new head) evaluates on its eval rows, resumes a killed run exactly,
/// saves a folder <see cref="CrossEncoder"/> loads with a cross-encoder card, and bad configs are one line each.
/// </summary>
public sealed class CrossEncoderRunTests
{
    private static readonly string Bert = CorePaths.FixtureModel("bert-cased-mean");

    /// <summary><paramref name="n"/> labelled (query, document) rows in <paramref name="dir"/>/<paramref name="name"/>: each even row's document answers its query (label 1 unless <paramref name="label"/> says), the odd row's does not (0).</summary>
    internal static string Rows(string dir, string name, int n, Func<int, string>? label = null)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i =>
            $"{{\"query\": \"Hvor ligger hus {i / 2}?\", \"document\": \"{(i % 2 == 0 ? $"Hus {i / 2} ligger ved sjøen." : $"Katten heter {i}.")}\", " +
            $"\"label\": {label?.Invoke(i) ?? (i % 2 == 0 ? "1" : "0")}}}"));
        return path;
    }

    private static TrainingConfig Config(string dir, string outName, string extra = "", Func<int, string>? label = null) => ConfigLoader.Parse($$"""
        model: {path: {{Bert}}, dropout: 0.1}
        data: {train: {{Rows(dir, "train.jsonl", 24, label)}}, eval: {{Rows(dir, "eval.jsonl", 8)}}}
        training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: 6}
        loss: {type: bce{{extra}}}
        evaluation: {steps: 3}
        output: {dir: {{Path.Combine(dir, outName)}}, save_steps: 2, tensorboard: false}
        """, "ce.yaml");

    [Fact]
    public void TrainsEvaluatesResumesAndSavesACrossEncoder()
    {
        string dir = TestPaths.NewTempDir();
        var full = new SentenceTrainer(TrainingRun.Build(Config(dir, "full"))).Run();
        Assert.Contains("eval_reranking_ndcg@10", full.FinalMetrics.Keys);
        Assert.Contains("eval_reranking_map", full.FinalMetrics.Keys);
        Assert.InRange(full.FinalMetrics["eval_reranking_mrr@10"], 0.5, 1.0); // a relevant document among 2: rank 1 or 2

        var reranker = CrossEncoder.Load(full.ModelPath);
        Assert.Equal(ScoreActivation.Sigmoid, reranker.Activation);
        string card = File.ReadAllText(Path.Combine(full.ModelPath, "README.md"));
        Assert.Contains("pipeline_tag: text-ranking", card, StringComparison.Ordinal);
        Assert.Contains("loss:BinaryCrossEntropyLoss", card, StringComparison.Ordinal);
        Assert.Contains("from sentence_transformers import CrossEncoder", card, StringComparison.Ordinal);

        // Killed after step 3, resumed from the step-2 checkpoint (head included): the same weights byte for byte.
        AssertKilledRunResumesExactly(Config(dir, "cut"), full);
    }

    /// <summary>A run of <paramref name="cut"/> killed at step 3 resumes from its step-2 checkpoint and saves what <paramref name="full"/> saved, byte for byte.</summary>
    internal static void AssertKilledRunResumesExactly(TrainingConfig cut, TrainingResult full)
    {
        Assert.Throws<OperationCanceledException>(() => new SentenceTrainer(TrainingRun.Build(cut,
            p => { if (p.Step == 3) throw new OperationCanceledException(); })).Run());
        var resumed = new SentenceTrainer(TrainingRun.Build(cut)).Run();
        Assert.EndsWith("step-2", resumed.ResumedFrom);
        Assert.Equal(File.ReadAllBytes(Path.Combine(full.ModelPath, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(resumed.ModelPath, "model.safetensors")));
    }

    [Fact]
    public void TheHeadOfACrossEncoderFolderIsTrainedOnAndAMultiLabelOneIsRefused()
    {
        string dir = TestPaths.NewTempDir();
        var config = Config(dir, "out");
        var setup = TrainingRun.Build(config with { Model = config.Model with { Path = CorePaths.FixtureModel("ce-bert") } });
        var loss = Assert.IsType<BinaryCrossEntropyLoss>(setup.Loss);
        var stored = CrossEncoder.Load(CorePaths.FixtureModel("ce-bert"));
        var head = stored.Head.Parameters.Single(p => p.Name == "classifier.weight");
        Assert.Equal(head.Data.ToArray(), loss.Head.Parameters.Single(p => p.Name == "classifier.weight").Data.ToArray());

        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(config with { Model = config.Model with { Path = CorePaths.FixtureModel("ce-xlmr") } }));
        Assert.Contains("out_proj.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("3", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "2", "needs labels in [0, 1]; line 1 has 2")]
    [InlineData(", pos_weight: 0", null, "pos_weight")]
    public void BadLabelsAndSettingsAreOneLine(string extra, string? label, string message)
    {
        string dir = TestPaths.NewTempDir();
        var e = Assert.ThrowsAny<Exception>(() => new SentenceTrainer(TrainingRun.Build(Config(dir, "out", extra, label is null ? null : _ => label))).Run());
        Assert.IsType<TrainingException>(e);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void APairFileWithoutLabelsIsRefused()
    {
        string dir = TestPaths.NewTempDir();
        string pairs = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(pairs, Enumerable.Range(0, 8).Select(i => $"{{\"query\": \"q {i}\", \"document\": \"d {i}\"}}"));
        var config = Config(dir, "out");
        var e = Assert.ThrowsAny<Exception>(() => new SentenceTrainer(TrainingRun.Build(config with { Data = config.Data with { Train = [pairs] } })).Run());
        Assert.Contains("needs (query, document) text columns and a label column", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MultipleNegativesRankingTrainsFromTripletsAndResumesWithTheSameDraws()
    {
        string dir = TestPaths.NewTempDir();
        string triplets = Path.Combine(dir, "triplets.jsonl");
        File.WriteAllLines(triplets, Enumerable.Range(0, 24).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Katten {i} sover.\"}}"));
        TrainingConfig Run(string name) => ConfigLoader.Parse($$"""
            model: {path: {{Bert}}, dropout: 0.1}
            data: {train: {{triplets}}, eval_split: 0.25}
            training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: 6}
            loss: {type: ce_mnrl, num_negatives: 2}
            evaluation: {steps: 3}
            output: {dir: {{Path.Combine(dir, name)}}, save_steps: 2, tensorboard: false}
            """, "ce.yaml");
        var config = Run("full");
        Assert.Equal((2, 10f), (config.Loss.NumNegatives!.Value, config.Loss.Scale));
        var setup = TrainingRun.Build(config);
        Assert.IsType<CrossEncoderMnrlLoss>(setup.Loss);
        var full = new SentenceTrainer(setup).Run();
        Assert.Contains("eval_reranking_ndcg@10", full.FinalMetrics.Keys);
        Assert.Equal(ScoreActivation.Sigmoid, CrossEncoder.Load(full.ModelPath).Activation);

        AssertKilledRunResumesExactly(Run("cut"), full);
        Assert.Null(ConfigLoader.Parse($"model: {{path: {Bert}}}\ndata: {{train: x.jsonl}}\nloss: {{type: ce_mnrl, num_negatives: all}}\noutput: {{dir: out}}", "all.yaml").Loss.NumNegatives);
    }

    [Fact]
    public void ShippedRerankerRecipeRunsAsAQuickTestOnTheTinyModel()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "recipe");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "train", "--config", "configs/reranker-example.yaml", "--quick-test",
            "--set", $"model.path={Bert}", "--set", "training.max_steps=3", "--set", "training.batch_size=4",
            "--set", $"output.dir={outDir}");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("[quick test]", r.Stderr, StringComparison.Ordinal);
        Assert.True(CrossEncoder.IsCrossEncoder(Path.Combine(outDir, "final")));
        Assert.Contains("eval_reranking_ndcg@10", File.ReadAllText(Path.Combine(outDir, "metrics.jsonl")), StringComparison.Ordinal);
        var ranked = CrossEncoder.Load(Path.Combine(outDir, "final")).Rank("Hvor ligger Bergen?", ["Bergen ligger på Vestlandet.", "Katten sover."]);
        Assert.Equal(2, ranked.Count);
    }

    [Theory]
    [InlineData("merged")]
    [InlineData("adapter")]
    public void LoraTrainsTheAdaptersAndTheHeadAndSavesThemMergedOrAsAPeftSeqClsAdapter(string save)
    {
        string dir = TestPaths.NewTempDir();
        var config = Config(dir, "lora");
        config = config with
        {
            Lora = new LoraSection { R = 4, Alpha = 8, Dropout = 0, TargetModules = ["query", "value"], Save = save },
            Training = config.Training with { LearningRate = 1e-2f },
        };
        var setup = TrainingRun.Build(config);
        var model = Assert.IsType<Skald.Training.Modeling.TrainableEncoder>(setup.Model);
        var loss = Assert.IsType<BinaryCrossEntropyLoss>(setup.Loss);
        Assert.All(model.Parameters, p => Assert.Contains("lora_", p.Name, StringComparison.Ordinal)); // only adapters train in the model
        var headBefore = loss.Parameters.Select(p => p.Data.ToArray()).ToList();
        var run = new SentenceTrainer(setup).Run();
        Assert.Contains(loss.Parameters, p => !p.Data.ToArray().SequenceEqual(headBefore[loss.Parameters.ToList().IndexOf(p)])); // the head trained
        string[] queries = ["Hvor ligger hus 3?", "Hvor ligger hus 3?"], docs = ["Hus 3 ligger ved sjøen.", "Katten heter 7."];
        var trained = loss.Logits(model, queries, docs);
        var identity = new CrossEncoderOptions { Activation = ScoreActivation.Identity };
        CrossEncoder reloaded;
        if (save == "merged") reloaded = CrossEncoder.Load(run.ModelPath);
        else
        {
            // peft's layout: SEQ_CLS, the adapters under bert., the head whole (modules_to_save), the base without a head.
            var adapterConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.ModelPath, "adapter_config.json"))).RootElement;
            Assert.Equal("SEQ_CLS", adapterConfig.GetProperty("task_type").GetString());
            Assert.Equal(["classifier", "pooler"], adapterConfig.GetProperty("modules_to_save").EnumerateArray().Select(x => x.GetString()));
            using (var st = Skald.Models.Checkpoints.SafeTensorsFile.Open(Path.Combine(run.ModelPath, "adapter_model.safetensors")))
            {
                Assert.Contains("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight", st.Tensors.Keys);
                Assert.Contains("base_model.model.classifier.weight", st.Tensors.Keys);
                Assert.Contains("base_model.model.bert.pooler.dense.weight", st.Tensors.Keys);
            }
            reloaded = CrossEncoder.Load(Bert, [run.ModelPath]);
            var noHead = Assert.Throws<ModelFormatException>(() => CrossEncoder.Load(Bert));
            Assert.Contains("not a cross-encoder", noHead.Message, StringComparison.Ordinal);
        }
        var saved = reloaded.Predict([.. queries.Zip(docs)], identity);
        for (int i = 0; i < 2; i++) Assert.Equal(trained[i], saved[i][0], 4);
    }
    [Fact]
    public void ScoredPairsWithoutRepeatedQueriesAreEvaluatedByCorrelation()
    {
        // STS-style rows: every first sentence once, a score each. Expected values computed here from the model's scores.
        string dir = TestPaths.NewTempDir();
        string path = Path.Combine(dir, "sts.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, 6).Select(i => FormattableString.Invariant(
            $"{{\"sentence1\": \"Huset {i} ligger ved sjøen.\", \"sentence2\": \"{(i % 2 == 0 ? $"Huset {i} er ved vannet." : $"Katten {i} sover.")}\", \"score\": {0.15 * i:R}}}")));
        var rows = DatasetReader.Read(path);
        Assert.True(CrossEncoderCorrelationEvaluator.Suits(rows));
        var setup = TrainingRun.Build(ConfigLoader.Parse($$"""
            model: {path: {{Bert}}, dropout: 0.1}
            data: {train: {{path}}, eval: {{path}}}
            training: {batch_size: 2, max_steps: 1}
            loss: {type: ce_mse, activation: sigmoid}
            output: {dir: {{Path.Combine(dir, "out")}}, tensorboard: false}
            """, "sts.yaml"));
        var evaluator = Assert.IsType<CrossEncoderCorrelationEvaluator>(Assert.Single(setup.Evaluators));
        var loss = Assert.IsAssignableFrom<CrossEncoderLoss>(setup.Loss);
        var metrics = evaluator.Evaluate(setup.Model, 4);
        var encoder = (Skald.Training.Modeling.TrainableEncoder)setup.Model;
        var scores = loss.Logits(encoder, [.. rows.Rows.Select(r => r[0])], [.. rows.Rows.Select(r => r[1])]).Select(z => 1 / (1 + Math.Exp(-z))).ToArray();
        var gold = rows.Labels!.Select(y => (double)y).ToArray();
        Assert.Equal(Skald.Retrieval.Metrics.Correlation.Spearman(gold, scores), metrics["eval_correlation_spearman"], 6);
        Assert.Equal(Skald.Retrieval.Metrics.Correlation.Pearson(gold, scores), metrics["eval_correlation_pearson"], 6);
        Assert.False(CrossEncoderCorrelationEvaluator.Suits(DatasetReader.Read(Rows(dir, "pairs.jsonl", 8)))); // queries repeat: reranking
    }
}
