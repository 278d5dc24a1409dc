using System.Text.Json;
using Skald.Models;
using Skald.Training.Modeling;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// Inference-free sparse encoders trained (a Router whose query route is a SparseStaticEmbedding): five steps against
/// PyTorch with the static weight at its own learning rate, the Router folder sentence-transformers saves, read back
/// by Skald, a new one made from a plain checkpoint (<c>model.inference_free</c>), and one line for each misuse.
/// </summary>
public sealed class InferenceFreeTrainingTests(ITestOutputHelper output) : IDisposable
{
    private const string Static = "query_0_SparseStaticEmbedding/weight";
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>
    /// 5 AdamW steps of SpladeLoss(SparseMNRL) on fixtures/models/splade-router-tiny, anchors on the static route, the
    /// static weight at static_lr (learning_rate_mapping), against fixtures/training/make_splade_router_reference.py:
    /// the anchors' ids (no special tokens), each loss term within 1e-4 relative, every final weight within 1e-4.
    /// </summary>
    [Fact]
    public void FiveStepsMatchPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("splade_router.json")));
        var r = doc.RootElement;
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("splade-router-tiny"), dropout: 0f);
        model.Parameters.Single(p => p.Name == Static).LearningRateScale = r.GetProperty("static_lr").GetSingle() / r.GetProperty("lr").GetSingle();
        SpladeTrainingTests.ReplayAgainstPyTorch(model, r, CorePaths.TrainingFixture("splade_router_final.safetensors"), output);
    }

    /// <summary>A four-step SPLADE run's config; <paramref name="modelKeys"/> and <paramref name="trainingKeys"/> are extra lines of those sections.</summary>
    private string Config(string model, string outDir, string modelKeys = "", string trainingKeys = "")
    {
        string data = InfraPaths.WriteFile(dir, "triplets.jsonl", string.Concat(Enumerable.Range(0, 16).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i % 7}.\"}}\n")));
        return InfraPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", string.Join("\n",
            "model:", $"  path: {model}", "  dropout: 0.0", modelKeys,
            "data:", $"  train: {data}",
            "training:", "  batch_size: 4", "  learning_rate: 1.0e-3", "  max_steps: 4", trainingKeys,
            "output:", $"  dir: {outDir}",
            "loss:", "  type: splade", "  query_regularizer_weight: 0", ""));
    }

    [Fact]
    public void ARouterTrainsIntoTheRouterFolderSentenceTransformersSavesAndLoadsBack()
    {
        string outDir = Path.Combine(dir, "router");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(CorePaths.FixtureModel("splade-router-tiny"), outDir,
            trainingKeys: "  learning_rate_mapping:\n    SparseStaticEmbedding: 0.05"), "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string final = Path.Combine(outDir, "final");
        foreach (var f in new[] { "modules.json", "router_config.json", "config_sentence_transformers.json", "document_0_MLMTransformer/model.safetensors",
                     "document_0_MLMTransformer/config.json", "document_0_MLMTransformer/tokenizer.json", "document_1_SpladePooling/config.json",
                     "query_0_SparseStaticEmbedding/model.safetensors", "query_0_SparseStaticEmbedding/config.json", "query_0_SparseStaticEmbedding/tokenizer.json" })
            Assert.True(File.Exists(Path.Combine(final, f)), f);
        using (var router = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "router_config.json"))))
        {
            var structure = router.RootElement.GetProperty("structure");
            Assert.Equal(["query_0_SparseStaticEmbedding"], structure.GetProperty("query").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["document_0_MLMTransformer", "document_1_SpladePooling"], structure.GetProperty("document").EnumerateArray().Select(e => e.GetString()));
        }
        var before = SentenceEncoder.Load(CorePaths.FixtureModel("splade-router-tiny"));
        var after = SentenceEncoder.Load(final);
        Assert.NotNull(after.StaticQuery);
        Assert.False(after.StaticQuery!.Frozen);
        int moved = 0;
        for (int v = 0; v < after.Dimension; v++) moved += after.StaticQuery.Weights[v] != before.StaticQuery!.Weights[v] ? 1 : 0;
        output.WriteLine($"{moved} static weights moved");
        Assert.True(moved > 0);
        // The query side is the trained weights of the query's tokens: presence times weight, nothing else.
        var query = after.Encode(["Hvor ligger hus nummer 3?"], new EncodeOptions { Route = "query" })[0];
        var tokens = after.StaticQuery.Tokenize(["Hvor ligger hus nummer 3?"])[0].Ids.ToHashSet();
        for (int v = 0; v < query.Length; v++) Assert.Equal(tokens.Contains(v) ? after.StaticQuery.Weights[v] : 0f, query[v]);
        Assert.Contains(after.Encode("Hus 3 ligger ved sjøen."), x => x > 0); // documents through the transformer
    }

    [Fact]
    public void APlainCheckpointBecomesInferenceFreeAndMisusesGetOneLine()
    {
        string outDir = Path.Combine(dir, "new");
        var r = SkaldProcess.RunIn(dir, "train", "--config", Config(InfraPaths.FixtureModel("bert-cased-mean"), outDir,
            modelKeys: "  type: splade\n  inference_free: true"), "--quiet");
        output.WriteLine(r.Stderr);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var model = SentenceEncoder.Load(Path.Combine(outDir, "final"));
        Assert.NotNull(model.StaticQuery);
        Assert.Contains(model.StaticQuery!.Weights.ToArray(), w => w != 1f); // trained from all ones

        var mismatch = SkaldProcess.RunIn(dir, "train", "--config", Config(CorePaths.FixtureModel("splade-router-tiny"), Path.Combine(dir, "x"),
            trainingKeys: "  learning_rate_mapping:\n    NoSuchModule: 0.05"), "--quiet");
        SkaldProcess.AssertUserError(mismatch, 1, "'NoSuchModule' matches no trained parameter");
        var dense = SkaldProcess.RunIn(dir, "train", "--config", Config(InfraPaths.FixtureModel("bert-cased-mean"), Path.Combine(dir, "y"),
            modelKeys: "  inference_free: true"), "--quiet");
        SkaldProcess.AssertUserError(dense, 1, "model.inference_free is SpladePooling's (model.type: splade)");
    }

    [Fact]
    public void TheExampleConfigTrainsTheFixtureAsItsHeaderSays()
    {
        string outDir = Path.Combine(dir, "example");
        var r = SkaldProcess.RunIn(InfraPaths.RepoRoot, "train", "--config", Path.Combine(InfraPaths.RepoRoot, "configs", "splade-inference-free.yaml"),
            "--quick-test", "--set", "model.path=fixtures/models/splade-bert-tiny", "--set", "training.batch_size=8", "--set", $"output.dir={outDir}", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var model = SentenceEncoder.Load(Path.Combine(outDir, "final"));
        Assert.NotNull(model.StaticQuery);
        Assert.Contains("eval_", File.ReadAllText(Path.Combine(outDir, "metrics.jsonl"))); // evaluated with the static query route
    }
}
