using Parquet.Serialization;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// PyLate's KDProcessing from a hub dataset against <see cref="MockHub"/>, as PyLate's docs load
/// <c>lightonai/lighton-ms-marco-mini</c>: the distillation rows (two Parquet shards), the queries and the documents are
/// three subsets of one dataset repository, named by <c>data.train</c>, <c>data.queries</c> and <c>data.documents</c>;
/// a ColBERT trains on every shard's rows, and a document id the documents lack is one note, not a failed run.
/// </summary>
public sealed class HubKdDatasetTests
{
    /// <summary>A distillation row (int64 ids, LIST columns) as Parquet.Net's serializer writes it.</summary>
    public sealed class KdRow
    {
        [System.Text.Json.Serialization.JsonPropertyName("query_id")]
        public long QueryId { get; set; }
        [System.Text.Json.Serialization.JsonPropertyName("document_ids")]
        public long[] DocumentIds { get; set; } = [];
        [System.Text.Json.Serialization.JsonPropertyName("scores")]
        public double[] Scores { get; set; } = [];
    }

    /// <summary>A queries row.</summary>
    public sealed class QueryRow
    {
        [System.Text.Json.Serialization.JsonPropertyName("query_id")]
        public long Id { get; set; }
        [System.Text.Json.Serialization.JsonPropertyName("text")]
        public string Text { get; set; } = "";
    }

    /// <summary>A documents row.</summary>
    public sealed class DocumentRow
    {
        [System.Text.Json.Serialization.JsonPropertyName("document_id")]
        public long Id { get; set; }
        [System.Text.Json.Serialization.JsonPropertyName("text")]
        public string Text { get; set; } = "";
    }

    private static byte[] Bytes<T>(IEnumerable<T> rows)
    {
        using var ms = new MemoryStream();
        ParquetSerializer.SerializeAsync(rows, ms).GetAwaiter().GetResult();
        return ms.ToArray();
    }

    // Rows i in [from, from + count): query i, documents 2i and 2i + 1 (query 3's second is 99, which the documents lack).
    private static byte[] Rows(int from, int count) => Bytes(Enumerable.Range(from, count).Select(i => new KdRow
    {
        QueryId = i, DocumentIds = [2 * i, i == 3 ? 99 : 2 * i + 1], Scores = [1.0 + i, -0.5],
    }));

    [Fact]
    public void ADistillationDatasetsThreeSubsetsTrainAColbert()
    {
        var repo = new MockRepo("skald-test/kd", new Dictionary<string, byte[]>
        {
            ["scores/train-00000-of-00002.parquet"] = Rows(0, 2),
            ["scores/train-00001-of-00002.parquet"] = Rows(2, 2),
            ["queries/train-00000-of-00001.parquet"] = Bytes(Enumerable.Range(0, 4).Select(i => new QueryRow { Id = i, Text = $"Hvor ligger hus {i}?" })),
            ["documents/train-00000-of-00001.parquet"] = Bytes(Enumerable.Range(0, 8).Select(i => new DocumentRow { Id = i, Text = $"Hus {i / 2} ligger ved sjø {i % 2}." })),
        }, dataset: true);
        using var hub = new MockHub(repo);
        string dir = TestPaths.NewTempDir();
        string config = Path.Combine(dir, "kd.yaml");
        File.WriteAllText(config, $"""
            model:
              path: {TestPaths.FixtureModel("colbert-bert-tiny")}
            data:
              train: "skald-test/kd:scores/train"
              queries: "skald-test/kd:queries/train"
              documents: "skald-test/kd:documents/train"
            training:
              batch_size: 2
              max_steps: 1
            output:
              dir: {Path.Combine(dir, "out")}
            loss:
              type: colbert_distillation
            """);
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        var r = SkaldProcess.RunWith(dir, env, "train", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("on 4 rows", r.Stderr); // both shards
        Assert.Contains("note: skald-test/kd:scores/train: 1 of 8 document ids (the first: 99) are not in skald-test/kd:documents/train", r.Stderr);
        Assert.True(Directory.Exists(Path.Combine(dir, "out", "final")));
    }
}
