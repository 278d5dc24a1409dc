using System.Text.Json;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// <c>training.prompts</c> with a ColBERT loss, against fixtures/models/make_colbert_prompt.py (PyLate with "query: "
/// joined before each text ahead of its tokenize, as its ColBERTCollator joins a training prompt: [CLS] [Q] query: text ...;
/// ids from the real HF tokenizer, vectors from a plain PyTorch ColBERT): the token vectors a training pass hands the
/// loss for a prompted batch are those of the reference, queries (expansion on) and documents (skiplist applied) alike.
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

    private static void Near(float[] want, float[] got, string what)
    {
        Assert.True(want.Length == got.Length, $"{what}: {want.Length} values in the reference, {got.Length} here");
        for (int j = 0; j < want.Length; j++) Assert.True(Math.Abs(want[j] - got[j]) <= 1e-5f, $"{what}, value {j}: reference {want[j]}, here {got[j]}");
    }
}
