using System.Text.Json;
using Skald.Models.LateInteraction;
using Skald.Training.Config;
using Skald.Training.Evaluation;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// <c>training.prompts</c> with a ColBERT loss, against fixtures/models/make_colbert_prompt.py (PyLate with "query: "
/// joined before each text ahead of its tokenize, as its ColBERTCollator joins a training prompt: [CLS] [Q] query: text ...;
/// ids from the real HF tokenizer, vectors from a plain PyTorch ColBERT): the token vectors a training pass hands the
/// loss for a prompted batch are those of the reference, queries (expansion on) and documents (skiplist applied) alike.
/// A folder with a <c>default_prompt_name</c> trains as sentence-transformers' trainer trains it: the loss's batches
/// without the prompt (colbert.json's reference loss, make_colbert_reference.py), the evaluation during training with it
/// (PyLate's evaluators call <c>encode</c>: the reference's prompted vectors), the saved folder keeping both keys.
/// </summary>
public sealed class ColbertTrainingPromptTests : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly string Colbert = CorePaths.FixtureModel("colbert-bert-tiny");

    private static List<(string Text, float[] Vectors)> Read(string file) =>
        [.. File.ReadLines(Path.Combine(Colbert, file)).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return (r.GetProperty("text").GetString()!, r.GetProperty("vectors").EnumerateArray().Select(x => x.GetSingle()).ToArray());
        })];

    // The contrastive loss, keeping the token vectors the pass hands it.
    private sealed class Recording : ColbertLoss
    {
        private readonly ColbertContrastiveLoss inner = new();

        public IReadOnlyList<float[]> Queries { get; private set; } = [];

        public IReadOnlyList<float[]> Documents { get; private set; } = [];

        public override string Name => inner.Name;

        public override float Compute(IReadOnlyList<float[]> queries, IReadOnlyList<IReadOnlyList<float[]>> documents, int dim,
            IReadOnlyList<float>? labels, IReadOnlyList<float[]> queryGradients, IReadOnlyList<IReadOnlyList<float[]>> documentGradients)
        {
            Queries = [.. queries.Select(q => q.ToArray())];
            Documents = [.. documents[0].Select(d => d.ToArray())];
            return inner.Compute(queries, documents, dim, labels, queryGradients, documentGradients);
        }
    }

    [Fact]
    public void APromptedColumnIsEncodedAsPyLateEncodesThePromptBeforeTheText()
    {
        var queries = Read("expected_queries_prompt.jsonl");
        var documents = Read("expected_documents_prompt.jsonl");
        Assert.Equal(queries.Select(q => q.Text), documents.Select(d => d.Text));
        string train = InfraPaths.WriteFile(dir, "train.jsonl", string.Concat(queries.Select(q =>
            JsonSerializer.Serialize(new Dictionary<string, string> { ["query"] = q.Text, ["positive"] = q.Text }) + "\n")));
        var config = ConfigLoader.Parse($"""
            model:
              path: {Colbert}
              dropout: 0.0
            data:
              train: {train}
            training:
              batch_size: 4
              max_steps: 1
              prompts: "query: "
            output:
              dir: {Path.Combine(dir, "run")}
              save_steps: 0
              tensorboard: false
            loss:
              type: colbert_contrastive
            """, "c.yaml");
        var setup = TrainingRun.Build(config);
        var prompts = Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<IReadOnlyList<string?>?>>(setup.Prompts))!;
        Assert.Equal(["query: ", "query: "], prompts);

        var loss = new Recording();
        loss.ComputeAndBackward(setup.Model, new TrainingBatch([[.. queries.Select(q => q.Text)], [.. documents.Select(d => d.Text)]]) { Prompts = prompts });
        const int dim = 16;
        for (int i = 0; i < queries.Count; i++)
        {
            Near(queries[i].Vectors, loss.Queries[i], $"query {i}");
            // A document with fewer kept vectors than document_length carries one zero row more (PyLate's masked 0).
            var d = loss.Documents[i];
            Assert.True(d.Length == documents[i].Vectors.Length || d.Length == documents[i].Vectors.Length + dim, $"document {i}: {d.Length / dim} rows");
            Near(documents[i].Vectors, d.AsSpan(0, documents[i].Vectors.Length).ToArray(), $"document {i}");
        }
    }

    // colbert-bert-tiny with prompts {"query": "query: "} and default_prompt_name "query" (make_colbert_prompt.py's).
    private string WithDefaultPrompt()
    {
        string copy = Path.Combine(dir, "prompted");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.EnumerateFiles(Colbert, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(Colbert, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        string config = Path.Combine(copy, ColbertSettings.FileName);
        string text = File.ReadAllText(config);
        Assert.Contains("\"prompts\": {}", text);
        File.WriteAllText(config, text.Replace("\"prompts\": {}", "\"prompts\": {\"query\": \"query: \"}", StringComparison.Ordinal)
            .Replace("\"default_prompt_name\": null", "\"default_prompt_name\": \"query\"", StringComparison.Ordinal));
        return copy;
    }

    [Fact]
    public void AFolderWithADefaultPromptTrainsWithoutItEvaluatesAndSavesWithIt()
    {
        string folder = WithDefaultPrompt();
        var queries = Read("expected_queries_prompt.jsonl");
        var documents = Read("expected_documents_prompt.jsonl");
        string train = InfraPaths.WriteFile(dir, "train.jsonl", string.Concat(queries.Select(q =>
            JsonSerializer.Serialize(new Dictionary<string, string> { ["query"] = q.Text, ["positive"] = q.Text }) + "\n")));
        TrainingConfig Config(string output) => ConfigLoader.Parse($"""
            model:
              path: {folder}
              dropout: 0.0
            data:
              train: {train}
            training:
              batch_size: 4
              max_steps: 1
            output:
              dir: {Path.Combine(dir, output)}
              save_steps: 0
              tensorboard: false
            loss:
              type: colbert_contrastive
            """, "c.yaml");

        using (var setup = TrainingRun.Build(Config("probe")))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "training", "colbert.json")));
            var r = doc.RootElement.GetProperty("contrastive");
            var columns = r.GetProperty("columns").EnumerateArray().Select(c => (IReadOnlyList<string>)[.. c.EnumerateArray().Select(t => t.GetString()!)]).ToArray();
            setup.Model.ZeroGradients();
            float value = new ColbertContrastiveLoss().ComputeAndBackward(setup.Model, new TrainingBatch(columns) { ColumnNames = ["query", "positive", "negative"] });
            double expected = r.GetProperty("loss").GetDouble();
            Assert.True(Math.Abs(value - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"loss {value}, PyTorch (no prompt) {expected}");

            var encoder = new TrainingColbertEncoder(Assert.IsType<TrainableEncoder>(setup.Model));
            var q = encoder.EncodeQueries([.. queries.Select(x => x.Text)], batchSize: 3);
            var d = encoder.EncodeDocuments([.. documents.Select(x => x.Text)], batchSize: 3);
            for (int i = 0; i < queries.Count; i++)
            {
                Near(queries[i].Vectors, q[i].Values.ToArray(), $"query {i}");
                Near(documents[i].Vectors, d[i].Values.ToArray(), $"document {i}");
            }
        }

        var run = Config("run");
        new SentenceTrainer(TrainingRun.Build(run)).Run();
        string final = Path.Combine(run.Output.Dir, "final");
        using (var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, ColbertSettings.FileName))))
        {
            Assert.Equal("query: ", saved.RootElement.GetProperty("prompts").GetProperty("query").GetString());
            Assert.Equal("query", saved.RootElement.GetProperty("default_prompt_name").GetString());
        }
        using var reloaded = ColbertEncoder.Load(final);
        Assert.Equal("query: ", reloaded.DefaultPrompt);
    }

    private static void Near(float[] want, float[] got, string what)
    {
        Assert.True(want.Length == got.Length, $"{what}: {want.Length} values in the reference, {got.Length} here");
        for (int j = 0; j < want.Length; j++) Assert.True(Math.Abs(want[j] - got[j]) <= 1e-5f, $"{what}, value {j}: reference {want[j]}, here {got[j]}");
    }
}
