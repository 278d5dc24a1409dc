using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// sentence-transformers' training prompts (<c>training.prompts</c>): a step with prompts is the step on the texts with
/// the prompts written in (include_prompt true); with include_prompt false the prompt's tokens leave pooling as in
/// upstream's collator + Pooling (fixtures/training/make_prompts_reference.py); a run hands each data set's batches its
/// prompts, and the saved model does not record them.
/// </summary>
public sealed class TrainingPromptsTests
{
    private static readonly string[] Anchors = ["Hvor ligger legekontoret?", "Kor mykje kostar billetten?", "Hvornår åbner biblioteket?", "Var finns närmaste apotek?"];
    private static readonly string[] Positives = ["Legekontoret ligger i sentrum.", "Billetten kostar hundre kroner.", "Biblioteket åbner klokken ni.", "Apoteket ligger vid torget."];

    private static (float Loss, float[][] Grads) Step(TrainableEncoder model, TrainingBatch batch, ILoss loss)
    {
        model.ZeroGradients();
        float value = loss.ComputeAndBackward(model, batch);
        return (value, [.. model.Parameters.Select(p => p.Grad.ToArray())]);
    }

    [Theory]
    [InlineData("mnrl")]
    [InlineData("cached_mnrl")]
    [InlineData("adaptive_layer")]
    public void PromptedStep_IsTheStepOnTextsWithThePromptsWrittenIn(string kind)
    {
        ILoss Loss() => kind switch
        {
            "mnrl" => new MultipleNegativesRankingLoss(),
            "cached_mnrl" => new CachedMultipleNegativesRankingLoss(miniBatchSize: 3),
            _ => new AdaptiveLayerLoss(new MultipleNegativesRankingLoss(), 2),
        };
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        var prompted = new TrainingBatch([Anchors, Positives]) { Prompts = ["query: ", null] };
        var written = new TrainingBatch([[.. Anchors.Select(a => "query: " + a)], Positives]);
        var plain = new TrainingBatch([Anchors, Positives]);
        var state = model.Random.SaveState(); // (AdaptiveLayerLoss draws its layers from it: each step draws the same)
        var (withPrompts, g1) = Step(model, prompted, Loss());
        model.Random.RestoreState(state);
        var (inText, g2) = Step(model, written, Loss());
        model.Random.RestoreState(state);
        var (without, _) = Step(model, plain, Loss());
        Assert.Equal(inText, withPrompts);
        for (int k = 0; k < g1.Length; k++) Assert.Equal(g2[k], g1[k]);
        Assert.NotEqual(without, withPrompts); // (the prompt changes the step)
    }

    [Fact]
    public void IncludePromptFalse_LeavesThePromptOutOfPooling_AsPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("prompts.json")));
        var r = doc.RootElement;
        string folder = Skald.Tests.TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string pooling = Path.Combine(folder, "1_Pooling", "config.json");
        File.WriteAllText(pooling, File.ReadAllText(pooling).Replace("\"include_prompt\": true", "\"include_prompt\": false", StringComparison.Ordinal));
        var model = TrainableEncoder.Load(folder, dropout: 0f);
        Assert.False(model.Pooling.IncludePrompt);
        var columns = r.GetProperty("columns").EnumerateArray().Select(c => (IReadOnlyList<string>)[.. c.EnumerateArray().Select(t => t.GetString()!)]).ToArray();
        var prompts = r.GetProperty("prompts");
        var batch = new TrainingBatch(columns) { Prompts = [prompts.GetProperty("anchor").GetString(), prompts.GetProperty("positive").GetString()] };

        // Skald's own tokenization and prompt lengths are the reference's.
        for (int c = 0; c < 2; c++)
        {
            var inputs = model.Prepare(batch, c);
            Assert.Equal(r.GetProperty("prompt_lengths")[c].GetInt32(), inputs.PromptLength);
            var ids = r.GetProperty("ids")[c];
            for (int i = 0; i < inputs.Count; i++) Assert.Equal(ids[i].EnumerateArray().Select(x => x.GetInt32()), inputs.Encodings[i].Ids);
        }
        var (loss, grads) = Step(model, batch, new MultipleNegativesRankingLoss());
        TrainingParityTests.Near(loss, r.GetProperty("loss").GetDouble(), "loss");
        double worst = 0;
        using (var expected = Checkpoint.OpenFile(CorePaths.TrainingFixture("prompts_grads.safetensors")))
        {
            for (int k = 0; k < model.Parameters.Count; k++)
            {
                var p = model.Parameters[k];
                var e = expected.Read(p.Name, p.Shape);
                for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(e[i] - grads[k][i]));
            }
        }
        Assert.True(worst <= 1e-5, $"gradients differ by {worst:E2}");

        // Without prompts nothing is left out of pooling (an empty prompt is none: not even the [CLS] token).
        var (plain, _) = Step(model, new TrainingBatch(columns), new MultipleNegativesRankingLoss());
        TrainingParityTests.Near(plain, r.GetProperty("loss_without_prompts").GetDouble(), "loss without prompts");
    }

    /// <summary>A loss that notes each batch and hands it on.</summary>
    private sealed class Recording(ILoss inner) : ILoss
    {
        public List<TrainingBatch> Batches { get; } = [];

        public string Name => inner.Name;

        public IReadOnlyList<Skald.Tensors.Autograd.Parameter> Parameters => inner.Parameters;

        public IReadOnlyList<Skald.Tensors.Autograd.Parameter> SavedParameters => inner.SavedParameters;

        public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
        {
            Batches.Add(batch);
            return inner.ComputeAndBackward(model, batch, gradientScale);
        }
    }

    [Fact]
    public void Run_GivesEachDataSetsBatchesItsPrompts_AndSavesNone()
    {
        string dir = InfraPaths.NewTempDir();
        string Pairs(string name, string a, string b) => InfraPaths.WriteFile(dir, name, string.Concat(Enumerable.Range(0, 4).Select(i =>
            $"{{\"{a}\": \"Hvor ligger hus {i}?\", \"{b}\": \"Huset {i} ligger ved fjorden.\"}}\n")));
        string first = Pairs("first.jsonl", "anchor", "positive"), second = Pairs("second.jsonl", "question", "answer");
        string outDir = Path.Combine(dir, "out");
        var config = ConfigLoader.Parse($$"""
            model:
              path: {{InfraPaths.FixtureModel("bert-cased-mean")}}
              dropout: 0
            data:
              train: [{{first}}, {{second}}]
            training:
              batch_size: 4
              max_steps: 2
              prompts:
                {{first}}: "spørsmål: "
                {{second}}: {answer: "svar: "}
            output:
              dir: {{outDir}}
              save_steps: 0
              tensorboard: false
            """, "test.yaml");
        using var built = TrainingRun.Build(config);
        var recording = new Recording(built.Loss);
        new SentenceTrainer(built with { Loss = recording }).Run();
        Assert.Equal(2, recording.Batches.Count); // round robin: one batch of each data set
        Assert.Equal(["spørsmål: ", "spørsmål: "], recording.Batches[0].Prompts!);
        Assert.Equal([null, "svar: "], recording.Batches[1].Prompts!);
        Assert.All(recording.Batches[0].Columns[0], t => Assert.StartsWith("Hvor ligger hus", t, StringComparison.Ordinal)); // the texts as read
        // sentence-transformers keeps training prompts out of the saved model's prompts (the model's own stay).
        using var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "final", "config_sentence_transformers.json")));
        Assert.Equal(["query", "passage"], saved.RootElement.GetProperty("prompts").EnumerateObject().Select(p => p.Name));
        Assert.Equal("query: ", saved.RootElement.GetProperty("prompts").GetProperty("query").GetString());
    }

    [Fact]
    public void Build_RefusesALossThatReadsNoPrompts()
    {
        string dir = InfraPaths.NewTempDir();
        string data = InfraPaths.WriteFile(dir, "sentences.jsonl", string.Concat(Enumerable.Range(0, 4).Select(i => $"{{\"text\": \"Setning nummer {i}.\"}}\n")));
        var config = ConfigLoader.Parse($"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
            data:
              train: {data}
            training:
              batch_size: 2
              prompts: "query: "
            loss:
              type: contrastive_tension
            output:
              dir: {Path.Combine(dir, "out")}
            """, "test.yaml");
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(config).Dispose());
        Assert.StartsWith("test.yaml:7: training.prompts are read by the losses that embed a batch's columns", e.Message, StringComparison.Ordinal);
        Assert.Contains("not by loss.type contrastive_tension yet", e.Message, StringComparison.Ordinal);
    }
}
