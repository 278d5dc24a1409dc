using Skald.Training.Optim;
using System.Buffers.Binary;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

public sealed class TrainerTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    /// <summary>Pairs whose anchor and positive share a topic word, so in-batch ranking can be learnt.</summary>
    private static TextDataset Data(int n = 64) => new("pairs.jsonl", ["anchor", "positive"],
        Enumerable.Range(0, n).Select(i => new[] { $"q{i} topic{i % 16} about", $"doc{i} topic{i % 16} text" }).ToArray());

    private (SentenceTrainer Trainer, BowModel Model, BowRankingLoss Loss) Make(string outDir, IEnumerable<string>? set = null,
        IReadOnlyList<IEvaluator>? evaluators = null, TextDataset? data = null)
    {
        var config = ConfigLoader.Parse($"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
              dropout: 0.2
            data:
              train: pairs.jsonl
            training:
              batch_size: 8
              learning_rate: 0.5
              max_steps: 20
              warmup_steps: 3
              logging_steps: 5
              gradient_accumulation_steps: 2
            output:
              dir: {outDir}
              save_steps: 5
            """, "test.yaml", set);
        var model = new BowModel();
        var loss = new BowRankingLoss();
        var setup = new TrainerSetup
        {
            Model = model, Loss = loss, Optimizer = new MomentumSgd(model.Parameters), Clip = MomentumSgd.Clip,
            Train = [data ?? Data()], Evaluators = evaluators ?? [], Config = config,
        };
        return (new SentenceTrainer(setup), model, loss);
    }

    [Fact]
    public void TrainsLogsAndSavesTheFinalModel()
    {
        string outDir = Path.Combine(dir, "run");
        var (trainer, model, _) = Make(outDir, ["training.max_steps=40", "training.gradient_accumulation_steps=1"],
            [RetrievalEvaluator.FromPairs(Data(32))]);
        var result = trainer.Run();
        Assert.Equal(40, result.Steps);
        var rows = MetricsLog.ReadAll(Path.Combine(outDir, "metrics.jsonl"));
        Assert.Equal([5, 10, 15, 20, 25, 30, 35, 40], rows.Select(r => (int)r["step"]!.Value));
        foreach (var key in new[] { "epoch", "loss", "learning_rate", "grad_norm" }) Assert.All(rows, r => Assert.NotNull(r[key]));
        Assert.True(rows[^1]["loss"] < rows[0]["loss"], "loss goes down");
        Assert.True(rows[^1]["eval_pairs_mrr@10"] > 0.2);
        Assert.Equal(40 * 8 / 64.0, rows[^1]["epoch"]!.Value, 6);
        Assert.True(File.Exists(Path.Combine(result.ModelPath, "model.safetensors")));
        string card = File.ReadAllText(Path.Combine(result.ModelPath, "README.md"));
        Assert.Contains("eval_pairs_ndcg@10", card);
        // a base that is no hub id (a local folder) is named in the text only: the hub refuses a base_model that is no model id
        Assert.StartsWith("---\nlibrary_name: sentence-transformers\n", card.ReplaceLineEndings("\n"));
        // the hub's evaluation results (model-index), as sentence-transformers writes them for InformationRetrievalEvaluator
        string front = card.ReplaceLineEndings("\n")[4..card.ReplaceLineEndings("\n").IndexOf("\n---\n", 4, StringComparison.Ordinal)];
        var yaml = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(front);
        var index = Assert.Single((List<object>)yaml["model-index"]);
        var entry = (Dictionary<object, object>)index;
        Assert.StartsWith("SentenceTransformer based on ", (string)entry["name"]);
        var reported = (Dictionary<object, object>)Assert.Single((List<object>)entry["results"]);
        var task = (Dictionary<object, object>)reported["task"];
        Assert.Equal(("information-retrieval", "Information Retrieval"), ((string)task["type"], (string)task["name"]));
        var dataset = (Dictionary<object, object>)reported["dataset"];
        Assert.Equal(("pairs", "pairs"), ((string)dataset["name"], (string)dataset["type"]));
        var metrics = ((List<object>)reported["metrics"]).Cast<Dictionary<object, object>>().ToList();
        Assert.Equal(["accuracy@1", "accuracy@3", "accuracy@5", "accuracy@10", "precision@1", "precision@3", "precision@5", "precision@10",
            "recall@1", "recall@3", "recall@5", "recall@10", "ndcg@10", "mrr@10", "map@100"], metrics.Select(m => (string)m["type"]));
        Assert.Equal(["Accuracy@1", "Ndcg@10", "Mrr@10", "Map@100"], metrics.Select(m => (string)m["name"]).Where((_, i) => i is 0 or >= 12));
        foreach (var m in metrics)
            Assert.Equal(result.FinalMetrics[$"eval_pairs_{m["type"]}"], double.Parse((string)m["value"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(outDir, "checkpoints"), "step-*").Length); // save_total_limit
        Assert.Equal(0.2f, model.Dropout);
    }

    [Fact]
    public void KilledRunResumesToTheSameWeightsAsAnUninterruptedOne()
    {
        string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
        var (full, fullModel, _) = Make(a);
        full.Run();

        var (killed, _, killedLoss) = Make(b);
        killedLoss.Hook = call => call == 25 ? throw new OperationCanceledException("simulated kill") : null; // in step 13
        Assert.Throws<OperationCanceledException>(() => killed.Run());
        Assert.Equal(["step-10", "step-5"], Directory.GetDirectories(Path.Combine(b, "checkpoints")).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var (resumed, resumedModel, _) = Make(b);
        var result = resumed.Run();
        Assert.EndsWith("step-10", result.ResumedFrom);
        Assert.Equal(fullModel.Parameters[0].Data, resumedModel.Parameters[0].Data); // bit-for-bit
        Assert.Equal(File.ReadAllLines(Path.Combine(a, "metrics.jsonl")), File.ReadAllLines(Path.Combine(b, "metrics.jsonl")));
    }

    [Fact]
    public void ACancelledRunStopsBetweenBatchesAndResumesAsAKilledOne()
    {
        string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
        var (full, fullModel, _) = Make(a);
        full.Run();

        using var cancel = new CancellationTokenSource();
        var (cancelled, _, cancelledLoss) = Make(b);
        cancelledLoss.Hook = call =>
        {
            if (call == 24) Task.Run(cancel.Cancel).Wait(); // from another thread, in step 13's first batch
            Assert.True(call <= 24, "no batch runs after the cancellation");
            return null;
        };
        Assert.ThrowsAny<OperationCanceledException>(() => cancelled.Run(cancel.Token));
        Assert.Equal(["step-10", "step-5"], Directory.GetDirectories(Path.Combine(b, "checkpoints")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(b, "final")));

        var (resumed, resumedModel, _) = Make(b);
        var result = resumed.Run(CancellationToken.None);
        Assert.EndsWith("step-10", result.ResumedFrom);
        Assert.Equal(fullModel.Parameters[0].Data, resumedModel.Parameters[0].Data); // bit-for-bit
        Assert.Equal(File.ReadAllLines(Path.Combine(a, "metrics.jsonl")), File.ReadAllLines(Path.Combine(b, "metrics.jsonl")));
    }

    [Fact]
    public void APreCancelledRunClearsNothing()
    {
        // A run without resume clears an earlier run's checkpoints as it starts; cancelled before, it leaves them.
        string b = Path.Combine(dir, "b");
        var (killed, _, killedLoss) = Make(b);
        killedLoss.Hook = call => call == 25 ? throw new OperationCanceledException("simulated kill") : null;
        Assert.Throws<OperationCanceledException>(() => killed.Run());
        var (again, _, againLoss) = Make(b, ["output.resume=false"]);
        againLoss.Hook = _ => throw new InvalidOperationException("no batch runs");
        Assert.ThrowsAny<OperationCanceledException>(() => again.Run(new CancellationToken(canceled: true)));
        Assert.Equal(["step-10", "step-5"], Directory.GetDirectories(Path.Combine(b, "checkpoints")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ResumeRefusesChangedSettings()
    {
        string outDir = Path.Combine(dir, "c");
        var (first, _, loss) = Make(outDir);
        loss.Hook = call => call == 15 ? throw new OperationCanceledException() : null;
        Assert.Throws<OperationCanceledException>(() => first.Run());
        var (second, _, _) = Make(outDir, ["training.batch_size=4"]);
        var e = Assert.Throws<TrainingException>(() => second.Run());
        Assert.Contains("training.batch_size changed", e.Message);
    }

    [Fact]
    public void AFileWhereACheckpointGoesIsNamedAtResume()
    {
        // Resume passed over checkpoints/step-15 (a file) and went on from step-10; saving step 15 then failed.
        string outDir = Path.Combine(dir, "file");
        var (first, _, loss) = Make(outDir);
        loss.Hook = call => call == 25 ? throw new OperationCanceledException() : null; // in step 13, after step-10
        Assert.Throws<OperationCanceledException>(() => first.Run());
        string inTheWay = Path.Combine(outDir, "checkpoints", "step-15");
        File.WriteAllText(inTheWay, "notes");
        var (second, _, secondLoss) = Make(outDir);
        var e = Assert.Throws<TrainingException>(() => second.Run());
        Assert.Equal($"{inTheWay}: is a file; the run writes a checkpoint folder there (move the file away)", e.Message);
        Assert.Equal(0, secondLoss.Calls); // named before any training
        Assert.Equal("notes", File.ReadAllText(inTheWay));
    }

    [Fact]
    public void NanLossStopsWithTheLastGoodCheckpointIntact()
    {
        string outDir = Path.Combine(dir, "nan");
        var (trainer, _, loss) = Make(outDir);
        loss.Hook = call => call == 23 ? float.NaN : null; // step 12
        var e = Assert.Throws<TrainingException>(() => trainer.Run());
        Assert.Contains("training diverged at step 12: the loss is NaN", e.Message);
        Assert.Contains("step-10", e.Message);
        var store = new CheckpointStore(Path.Combine(outDir, "checkpoints"), 2);
        Assert.EndsWith("step-10", store.Latest());
        Assert.Equal(10, CheckpointStore.Load(store.Latest()!).State.GlobalStep);
        Assert.False(Directory.Exists(Path.Combine(outDir, "final")));
    }

    /// <summary>The run chose <paramref name="best"/> and its model holds that step's checkpointed weights.</summary>
    private static void AssertBestLoaded(TrainingResult result, (string Metric, int Step, double Value) best, string outDir, BowModel model)
    {
        Assert.Equal<(string?, int, double)>(best, (result.BestMetricName, result.BestStep!.Value, result.BestMetric!.Value));
        var saved = CheckpointStore.ReadAll(Path.Combine(outDir, "checkpoints", $"step-{best.Step}", "model.safetensors"));
        Assert.Equal(saved["bow.weight"], model.Parameters[0].Data);
    }

    [Fact]
    public void BestModelIsKeptAndLoadedAtTheEnd()
    {
        string outDir = Path.Combine(dir, "best");
        var (trainer, model, _) = Make(outDir, ["evaluation.steps=5", "evaluation.load_best_model_at_end=true", "output.save_total_limit=10"],
            [new ScriptedEvaluator(0.1, 0.9, 0.3, 0.2)]);
        var result = trainer.Run();
        AssertBestLoaded(result, ("eval_scripted_score", 10, 0.9), outDir, model);
        var rows = MetricsLog.ReadAll(Path.Combine(outDir, "metrics.jsonl"));
        Assert.Equal([0.1, 0.9, 0.3, 0.2], rows.Select(r => r["eval_scripted_score"]!.Value));
    }

    [Fact]
    public void TheBestModelsScoresAreWhatTheCardAndTheResultReport()
    {
        // The weights saved are step 10's (0.9); the card's model-index (the hub's evaluation results), its metrics table,
        // the console and the result gave the last evaluation's 0.2.
        string outDir = Path.Combine(dir, "best-card");
        var (trainer, _, _) = Make(outDir, ["evaluation.steps=5", "evaluation.load_best_model_at_end=true", "training.max_steps=15"],
            [new ScriptedEvaluator(0.1, 0.9, 0.2) { Task = "Information Retrieval" }]);
        var result = trainer.Run();
        Assert.Equal(0.9, result.FinalMetrics["eval_scripted_score"]);
        string card = File.ReadAllText(Path.Combine(outDir, "final", "README.md"));
        Assert.Contains("    - type: \"score\"\n      value: 0.9\n", card);
        Assert.Contains("| eval_scripted_score | 0.9000 |", card);
        Assert.DoesNotContain("value: 0.2", card);

        // Resumed to step 20 (its one evaluation scores 0.1): the best is still step 10's, read back from metrics.jsonl.
        var (resumed, _, _) = Make(outDir, ["evaluation.steps=5", "evaluation.load_best_model_at_end=true", "training.max_steps=20"],
            [new ScriptedEvaluator(0.1) { Task = "Information Retrieval" }]);
        result = resumed.Run();
        Assert.EndsWith("step-15", result.ResumedFrom);
        Assert.Equal(10, result.BestStep);
        Assert.Equal(0.9, result.FinalMetrics["eval_scripted_score"]);
        Assert.Contains("      value: 0.9\n", File.ReadAllText(Path.Combine(outDir, "final", "README.md")));
    }

    [Theory]
    [InlineData(null, 10, 0.3)] // a loss: lower is better by default, as transformers decides (it kept the worst, 0.9)
    [InlineData("true", 5, 0.9)] // unless the config says otherwise
    public void ALossIsBestWhenLowest(string? greaterIsBetter, int bestStep, double best)
    {
        string outDir = Path.Combine(dir, "best-loss-" + greaterIsBetter);
        var (trainer, model, _) = Make(outDir, ["evaluation.steps=5", "evaluation.load_best_model_at_end=true", "output.save_total_limit=10",
            .. greaterIsBetter is null ? Array.Empty<string>() : [$"evaluation.greater_is_better={greaterIsBetter}"]],
            [new ScriptedEvaluator(0.9, 0.3, 0.5, 0.7) { Metric = "eval_loss" }]);
        var result = trainer.Run();
        AssertBestLoaded(result, ("eval_loss", bestStep, best), outDir, model);
    }

    [Fact]
    public void WithoutAMetricTheBestModelIsTheEvaluatorsPrimaryOne()
    {
        // accuracy@1, the first key reported, peaks at step 5 and chose; nDCG@10, the primary metric, peaks at step 15
        string outDir = Path.Combine(dir, "best-primary");
        var (trainer, model, _) = Make(outDir, ["evaluation.steps=5", "evaluation.load_best_model_at_end=true", "output.save_total_limit=10"],
            [new RankedScriptedEvaluator([0.9, 0.1, 0.2, 0.3], [0.1, 0.2, 0.8, 0.3])]);
        var result = trainer.Run();
        AssertBestLoaded(result, ("eval_ranked_ndcg@10", 15, 0.8), outDir, model);
        Assert.Contains("Best `eval_ranked_ndcg@10`: 0.8000 at step 15", File.ReadAllText(Path.Combine(outDir, "final", "README.md")));
    }

    [Fact]
    public void WithoutAMetricAnEvalLossChoosesBeforeAnyPrimaryMetric()
    {
        // transformers' default is the loss; sentence-transformers' several evaluators give eval_sequential_score
        var ranked = new RankedScriptedEvaluator([0.9], [0.1, 0.2, 0.8, 0.3]);
        var (withLoss, _, _) = Make(Path.Combine(dir, "best-default-loss"), ["evaluation.steps=5", "evaluation.load_best_model_at_end=true"],
            [ranked, new ScriptedEvaluator(0.9, 0.3, 0.5, 0.7) { Metric = "eval_loss" }]);
        var result = withLoss.Run();
        Assert.Equal(("eval_loss", 10, 0.3), (result.BestMetricName, result.BestStep, result.BestMetric!.Value));
        var (several, _, _) = Make(Path.Combine(dir, "best-default-sequential"), ["evaluation.steps=5"],
            [new ScriptedEvaluator(0.5), new RankedScriptedEvaluator([0.9], [0.1, 0.2, 0.8, 0.3])]);
        result = several.Run();
        Assert.Equal(("eval_sequential_score", 15, 0.8), (result.BestMetricName, result.BestStep, result.BestMetric!.Value));
    }

    [Fact]
    public void UnknownBestMetricFailsBeforeTraining()
    {
        var (trainer, _, loss) = Make(Path.Combine(dir, "bad-metric"), ["evaluation.metric_for_best_model=eval_nope"],
            [new ScriptedEvaluator(0.5)]);
        var e = Assert.Throws<TrainingException>(() => trainer.Run());
        Assert.Contains("'eval_nope' is not among the metrics (eval_scripted_score)", e.Message);
        Assert.Equal(0, loss.Calls);
    }

    [Fact]
    public void SameSeedSameRunOtherSeedOtherRun()
    {
        var (a, ma, _) = Make(Path.Combine(dir, "s1"));
        var (b, mb, _) = Make(Path.Combine(dir, "s2"));
        var (c, mc, _) = Make(Path.Combine(dir, "s3"), ["training.seed=7"]);
        a.Run();
        b.Run();
        c.Run();
        Assert.Equal(ma.Parameters[0].Data, mb.Parameters[0].Data);
        Assert.NotEqual(ma.Parameters[0].Data, mc.Parameters[0].Data);
    }

    [Theory]
    [InlineData("linear", new[] { 0f, 1f / 3, 2f / 3, 1f, 6f / 7, 0f })]
    [InlineData("constant", new[] { 0f, 1f / 3, 2f / 3, 1f, 1f, 1f })]
    public void SchedulesWarmUpThenDecay(string kind, float[] expected)
    {
        var s = new LearningRateSchedule(kind, 1f, 3, 10);
        int[] steps = [0, 1, 2, 3, 4, 10];
        for (int i = 0; i < steps.Length; i++) Assert.Equal(expected[i], s.At(steps[i]), 5);
        var cos = new LearningRateSchedule("cosine", 1f, 0, 10);
        Assert.Equal(0.5f, cos.At(5), 5);
        Assert.Equal(1f, cos.At(0), 5);
    }

    [Fact]
    public void LogsTheRateAfterEachUpdateAsTransformersDoes()
    {
        // fixtures/training/lr_schedules.json "polynomial_trainer": the rate each update uses under transformers'
        // polynomial schedule; Trainer logs, after update s, get_last_lr() (the scheduler stepped): the rate of update s + 1
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("lr_schedules.json")));
        var rates = doc.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "polynomial_trainer")
            .GetProperty("rates").EnumerateArray().Select(r => r.GetDouble()).ToArray();
        string outDir = Path.Combine(dir, "poly");
        var (trainer, _, _) = Make(outDir, ["training.max_steps=12", "training.gradient_accumulation_steps=1", "training.logging_steps=1",
            "training.scheduler=polynomial", "training.scheduler_kwargs={power: 2.0, lr_end: 0.05}"]);
        trainer.Run();
        var rows = MetricsLog.ReadAll(Path.Combine(outDir, "metrics.jsonl"));
        Assert.Equal(Enumerable.Range(1, 12), rows.Select(r => (int)r["step"]!.Value));
        foreach (var r in rows) Assert.Equal(rates[(int)r["step"]!.Value], r["learning_rate"]!.Value, 1e-6);
    }

    [Fact]
    public void TensorBoardEventsAreValidRecordsWithScalars()
    {
        string outDir = Path.Combine(dir, "tb");
        var (trainer, _, _) = Make(outDir);
        trainer.Run();
        string file = Directory.GetFiles(Path.Combine(outDir, "tensorboard"), "events.out.tfevents.*").Single();
        var bytes = File.ReadAllBytes(file);
        int records = 0, pos = 0;
        var payloads = new List<byte[]>();
        while (pos < bytes.Length)
        {
            ulong len = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(pos));
            Assert.Equal(TensorBoardWriter.MaskedCrc(bytes.AsSpan(pos, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 8)));
            var data = bytes.AsSpan(pos + 12, (int)len);
            Assert.Equal(TensorBoardWriter.MaskedCrc(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 12 + (int)len)));
            payloads.Add(data.ToArray());
            pos += 16 + (int)len;
            records++;
        }
        Assert.Equal(1 + 4, records); // file_version + 4 logging steps
        Assert.Contains("brain.Event:2", System.Text.Encoding.ASCII.GetString(payloads[0]));
        string scalars = System.Text.Encoding.ASCII.GetString(payloads[1]);
        Assert.Contains("train/loss", scalars);
        Assert.Contains("train/learning_rate", scalars);
    }
}
