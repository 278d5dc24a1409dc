using System.Text.Json;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Tensors.Autograd;
using Skald.Training.Optim;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// Sparse encoders trained by <c>skald train</c> (model.type splade, loss.type splade): the folder sentence-transformers'
/// SparseEncoder loads (BertForMaskedLM's keys, MLMTransformer → SpladePooling, model_type SparseEncoder), read back by
/// Skald as the same sparse model, and one clear line for each misuse.
/// </summary>
public sealed class SpladeTrainingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string Triplets(int n) => string.Concat(Enumerable.Range(0, n).Select(i =>
        $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i % 7}.\"}}\n"));

    private string Config(string model, string data, string outDir, string extra = "") => InfraPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", $"""
        model:
          path: {model}
          dropout: 0.0
        data:
          train: {data}
        training:
          batch_size: 4
          learning_rate: 1.0e-3
          max_steps: 6
          logging_steps: 2
        output:
          dir: {outDir}
          save_steps: 3
        loss:
          type: splade
          document_regularizer_weight: 0.03
          query_regularizer_weight: 0.05
        {extra}
        """);

    [Fact]
    public void APlainBertTrainsIntoASparseEncoderFolderThatLoadsBack()
    {
        string data = InfraPaths.WriteFile(dir, "triplets.jsonl", Triplets(24));
        string outDir = Path.Combine(dir, "splade");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(InfraPaths.FixtureModel("bert-cased-mean"), data, outDir,
            ""), "--set", "model.type=splade", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string final = Path.Combine(outDir, "final");
        var model = SentenceEncoder.Load(final);
        Assert.True(model.IsSparse);
        Assert.True(model.SpladeHead!.FromCheckpoint);
        Assert.Equal(800, model.Dimension);
        Assert.Equal(SimilarityFunction.Dot, model.SimilarityFunction);
        string modules = File.ReadAllText(Path.Combine(final, "modules.json"));
        Assert.Contains(SpladeConfig.TransformerModuleType, modules);
        Assert.Contains(SpladeConfig.ModuleType, modules);
        using (var st = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "config_sentence_transformers.json"))))
        {
            Assert.Equal("SparseEncoder", st.RootElement.GetProperty("model_type").GetString());
            Assert.Equal("dot", st.RootElement.GetProperty("similarity_fn_name").GetString());
        }
        Assert.Contains("BertForMaskedLM", File.ReadAllText(Path.Combine(final, "config.json")));
        Assert.Contains("\"pooling_strategy\": \"max\"", File.ReadAllText(Path.Combine(final, "1_SpladePooling", "config.json")));
        using (var weights = Checkpoint.OpenFile(Path.Combine(final, "model.safetensors")))
        {
            Assert.Contains("bert.embeddings.word_embeddings.weight", weights.Keys);
            Assert.Contains("cls.predictions.transform.dense.weight", weights.Keys);
            Assert.Contains("cls.predictions.bias", weights.Keys);
            Assert.DoesNotContain(weights.Keys, k => k.StartsWith("cls.predictions.decoder", StringComparison.Ordinal)); // tied
        }
        string card = File.ReadAllText(Path.Combine(final, "README.md"));
        Assert.Contains("SpladeLoss", card);
        Assert.Contains("\"document_regularizer_weight\": 0.03", card);
        var e = model.EncodeSparse(["Hvor ligger hus nummer 3?"]);
        output.WriteLine($"active dims after 6 steps: {e[0].Count} of 800");
        Assert.True(e[0].Count > 0);

        // Training goes on from the saved folder (its head read back, not initialised again).
        string again = Path.Combine(dir, "again");
        r = SkaldProcess.RunIn(dir, "train", "--config", Config(final, data, again), "--set", "training.max_steps=2", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(SentenceEncoder.Load(Path.Combine(again, "final")).IsSparse);

        // A run stopped after its step-3 checkpoint resumes to the uninterrupted run's weights: the head is checkpointed.
        string resumed = Path.Combine(dir, "resumed");
        string config = Config(InfraPaths.FixtureModel("bert-cased-mean"), data, resumed);
        r = SkaldProcess.RunIn(dir, "train", "--config", config, "--set", "model.type=splade", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Directory.Delete(Path.Combine(resumed, "final"), recursive: true);
        Directory.Delete(Path.Combine(resumed, "checkpoints", "step-6"), recursive: true);
        r = SkaldProcess.RunIn(dir, "train", "--config", config, "--set", "model.type=splade", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var a = Checkpoint.OpenFile(Path.Combine(final, "model.safetensors"));
        using var b = Checkpoint.OpenFile(Path.Combine(resumed, "final", "model.safetensors"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys) Assert.Equal(a.Read(key, a.Shape(key)), b.Read(key, b.Shape(key)));
    }

    /// <summary>
    /// 5 AdamW steps of SpladeLoss(SparseMNRL) on fixtures/models/splade-bert-tiny against PyTorch
    /// (fixtures/training/make_splade_reference.py): each term per step within 1e-4 relative, every final weight (the
    /// head's and the tied table's included) within 1e-4.
    /// </summary>
    [Fact]
    public void FiveStepsMatchPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("splade.json")));
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("splade-bert-tiny"), dropout: 0f);
        ReplayAgainstPyTorch(model, doc.RootElement, CorePaths.TrainingFixture("splade_final.safetensors"), output);
    }

    /// <summary>
    /// Replays a make_splade_reference-style run's steps on <paramref name="model"/> (SpladeLoss over SparseMNRL, AdamW,
    /// clipping; the columns' ids checked as the model prepares them, the first on the query route): each loss term
    /// and the grad norm per step within 1e-4 relative, then every final weight in <paramref name="finalWeights"/>
    /// within 1e-4 (attention key biases, whose true gradient is 0, within 5·lr).
    /// </summary>
    internal static void ReplayAgainstPyTorch(TrainableEncoder model, JsonElement r, string finalWeights, ITestOutputHelper output)
    {
        var loss = new SpladeLoss(new MultipleNegativesRankingLoss(1f, dot: true),
            r.GetProperty("document_regularizer_weight").GetSingle(), r.GetProperty("query_regularizer_weight").GetSingle());
        TrainingParityTests.Replay(model, r, loss, finalWeights, output, step =>
        {
            TrainingParityTests.Near(loss.LastTerms.Inner, step.GetProperty("base_loss").GetDouble(), "base loss");
            TrainingParityTests.Near(loss.LastTerms.Document, step.GetProperty("document_loss").GetDouble(), "document FLOPS");
            TrainingParityTests.Near(loss.LastTerms.Query, step.GetProperty("query_loss").GetDouble(), "query FLOPS");
        });
    }

    /// <summary>
    /// Every trained parameter of <paramref name="model"/> equals <paramref name="finalWeights"/>' within 1e-4, the
    /// attention key biases (true gradient 0, so rounding noise) within 5·<paramref name="lr"/>; the file names exactly the parameters.
    /// </summary>
    internal static void AssertFinalWeights(TrainableEncoder model, string finalWeights, float lr, ITestOutputHelper output) =>
        AssertFinalWeights(model.Parameters, finalWeights, lr, output);

    /// <summary><see cref="AssertFinalWeights(TrainableEncoder, string, float, ITestOutputHelper)"/> for any parameters (a loss's own).</summary>
    internal static void AssertFinalWeights(IReadOnlyList<Parameter> parameters, string finalWeights, float lr, ITestOutputHelper output)
    {
        using var final = Checkpoint.OpenFile(finalWeights);
        Assert.Equal(final.Keys.Order(), parameters.Select(p => p.Name).Order());
        foreach (var p in parameters)
        {
            var expected = final.Read(p.Name, p.Shape);
            double worst = 0, worstKey = 0;
            // GPT-2's self-attention c_attn.bias holds q, k, v biases of a third each: its middle third is the key bias.
            bool fused = p.Name.EndsWith(".attn.c_attn.bias", StringComparison.Ordinal);
            for (int i = 0; i < expected.Length; i++)
            {
                double d = Math.Abs(expected[i] - p.Data.Span[i]);
                if (fused && i >= expected.Length / 3 && i < 2 * expected.Length / 3) worstKey = Math.Max(worstKey, d);
                else worst = Math.Max(worst, d);
            }
            // The attention key bias's true gradient is 0 (softmax ignores it): rounding noise, held to 5·lr as in TrainingParityTests.
            double bound = p.Name.EndsWith("attention.self.key.bias", StringComparison.Ordinal) ? 5 * lr : 1e-4;
            if (worst > 1e-6 || worstKey > 1e-6) output.WriteLine($"{p.Name}: {worst:E2}{(fused ? $", key bias {worstKey:E2}" : "")}");
            Assert.True(worst <= bound, $"{p.Name} differs by {worst:E2}");
            Assert.True(worstKey <= 5 * lr, $"{p.Name}'s key bias differs by {worstKey:E2}");
        }
    }

    [Fact]
    public void NorbertTrainsIntoASparseEncoderWithItsHeadAndLayout()
    {
        string data = InfraPaths.WriteFile(dir, "triplets.jsonl", Triplets(12));
        string outDir = Path.Combine(dir, "norbert");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(InfraPaths.FixtureModel("norbert3-tiny"), data, outDir),
            "--set", "model.type=splade", "--set", "training.max_steps=3", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var model = SentenceEncoder.Load(Path.Combine(outDir, "final"));
        Assert.True(model.IsSparse);
        Assert.Equal(107, model.SpladeHead!.ExcludedIds);
        Assert.Contains("NorbertForMaskedLM", File.ReadAllText(Path.Combine(outDir, "final", "config.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "final", "modeling_norbert.py"))); // the custom code travels along
        Assert.All(model.Encode("Hvor ligger hus nummer 3?")[..107], x => Assert.Equal(0f, x));
    }

    [Fact]
    public void MarginMseDistillsIntoASparseEncoder()
    {
        string data = InfraPaths.WriteFile(dir, "margins.jsonl", string.Concat(Enumerable.Range(0, 12).Select(i => FormattableString.Invariant(
            $"{{\"query\": \"Hvor ligger hus {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går {i}.\", \"label\": {0.2 + 0.05 * i:R}}}\n"))));
        string outDir = Path.Combine(dir, "margin");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(CorePaths.FixtureModel("splade-bert-tiny"), data, outDir),
            "--set", "loss.splade_inner=margin_mse", "--set", "training.max_steps=3", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("SparseMarginMSELoss", File.ReadAllText(Path.Combine(outDir, "final", "README.md")));
        Assert.True(SentenceEncoder.Load(Path.Combine(outDir, "final")).IsSparse);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DistillKLDivTrainsOnTeacherScoresDenseAndSparse(bool sparse)
    {
        string Rows(string scores) => string.Concat(Enumerable.Range(0, 12).Select(i => FormattableString.Invariant(
            $"{{\"query\": \"Hvor ligger hus {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative_1\": \"Bussen går {i}.\", \"negative_2\": \"Kafeen stenger {i}.\", \"label\": [{0.9 - 0.01 * i:R}, {scores}]}}\n")));
        string data = InfraPaths.WriteFile(dir, "scores.jsonl", Rows("0.2, 0.1"));
        string wrong = InfraPaths.WriteFile(dir, "wrong.jsonl", Rows("0.2"));
        string outDir = Path.Combine(dir, sparse ? "kl-sparse" : "kl-dense");
        string config = sparse ? Config(CorePaths.FixtureModel("splade-bert-tiny"), data, outDir)
            : InfraPaths.WriteFile(dir, "kl.yaml", $"""
                model:
                  path: {CorePaths.FixtureModel("bert-cased-mean")}
                data:
                  train: {data}
                training:
                  batch_size: 4
                  max_steps: 3
                output:
                  dir: {outDir}
                loss:
                  type: distill_kl
                  temperature: 2
                """);
        List<string> Args(string train)
        {
            var a = new List<string> { "train", "--config", config, "--set", $"data.train={train}", "--set", "training.max_steps=3", "--quiet" };
            if (sparse) a.AddRange(["--set", "loss.splade_inner=distill_kl", "--set", "loss.temperature=2"]);
            return a;
        }
        var r = SkaldProcess.RunIn(dir, [.. Args(data)]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(sparse ? "SparseDistillKLDivLoss(temperature=2)" : "DistillKLDivLoss", File.ReadAllText(Path.Combine(outDir, "final", "README.md")));
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, [.. Args(wrong)]), 1,
            "with 2 negative columns needs 3 teacher scores (positive, then each negative) per row, not 2");
    }

    [Fact]
    public void TheExampleConfigTrainsTheFixtureAsItsHeaderSays()
    {
        string config = Path.Combine(InfraPaths.RepoRoot, "configs", "splade-example.yaml");
        string outDir = Path.Combine(dir, "example");
        var r = SkaldProcess.RunIn(InfraPaths.RepoRoot, "train", "--config", config, "--quick-test", "--set", "model.path=fixtures/models/splade-bert-tiny",
            "--set", "training.batch_size=8", "--set", $"output.dir={outDir}", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(SentenceEncoder.Load(Path.Combine(outDir, "final")).IsSparse);
        Assert.Contains("eval_", File.ReadAllText(Path.Combine(outDir, "metrics.jsonl"))); // evaluated over the inverted index
    }

    [Fact]
    public void MisusesAreOneClearLine()
    {
        string data = InfraPaths.WriteFile(dir, "triplets.jsonl", Triplets(8));
        string model = InfraPaths.FixtureModel("bert-cased-mean");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(model, data, Path.Combine(dir, "o"))), 1,
            "loss.type splade trains a sparse encoder; set model.type: splade");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(model, data, Path.Combine(dir, "o")),
            "--set", "model.pooling_strategy=sum"), 1, "model.pooling_strategy is SpladePooling's (model.type: splade)");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(model, data, Path.Combine(dir, "o")),
            "--set", "loss.type=mnrl"), 1, "loss.document_regularizer_weight is SpladeLoss's (loss.type: splade)");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(InfraPaths.FixtureModel("decoder-qwen2"), data, Path.Combine(dir, "o")),
            "--set", "model.type=splade"), 1, "a sparse encoder (SpladePooling) needs a BERT, XLM-R/RoBERTa, ModernBERT, DistilBERT, NorBERT3, NorBERT4 or GTE model");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(model, data, Path.Combine(dir, "o")),
            "--set", "model.type=splade", "--set", "loss.splade_inner=margin_mse"), 1, "loss.type margin_mse needs (query, positive, negative[, negative...]) text columns and a label column");
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", Config(CorePaths.FixtureModel("splade-router-tiny"), data, Path.Combine(dir, "o")),
            "--set", "loss.splade_inner=margin_mse"), 1, "loss.type margin_mse needs");
        string mlm = InfraPaths.WriteFile(dir, "mlm.yaml", $"""
            model:
              path: {CorePaths.FixtureModel("splade-bert-tiny")}
            data:
              train: {data}
            training:
              batch_size: 4
              max_steps: 1
            output:
              dir: {Path.Combine(dir, "mlm")}
            loss:
              type: mlm
            """);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(dir, "train", "--config", mlm), 1,
            "a sparse encoder trains with embedding losses (loss.type splade); for loss.type mlm start from its base checkpoint");
    }
}
