using System.Text.Json;
using System.Text.Json.Serialization;
using Parquet.Serialization;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// PyLate's KDProcessing (<c>data.queries</c>, <c>data.documents</c>, <c>data.n_ways</c>) on the ColBERT distillation
/// fixture: rows of ids train to the PyTorch reference loss from JSON Lines and from Parquet (shards read as one data
/// set); a document id the documents lack trains as an empty document (the reference's <c>distillation_missing</c>, with
/// that document "") with one note; ids of differing types (17 and "17") match with one note; a query id the queries
/// lack stays one line.
/// </summary>
public sealed class KdProcessingTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(Skald.Tests.Repository.Root, "fixtures");

    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private TrainingConfig Config(string data) => ConfigLoader.Parse($"""
        model:
          path: {Path.Combine(Fixtures, "models", "colbert-bert-tiny")}
          dropout: 0.0
        data:
          train: {data}
        training:
          batch_size: 4
          max_steps: 1
        output:
          dir: {Path.Combine(dir, "run")}
          tensorboard: false
        loss:
          type: colbert_distillation
        """, "c.yaml");

    private static List<JsonElement> FixtureRows() =>
        [.. File.ReadLines(Path.Combine(Fixtures, "training", "colbert_columns", "distillation_ids.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement)];

    private static List<string> FixtureDocuments() =>
        [.. FixtureRows().SelectMany(r => r.GetProperty("documents").EnumerateArray().Select(d => d.GetString()!)).Distinct()];

    // The fixture's distillation rows as PyLate's KDProcessing reads them: ids only (query i is 100 + i, document j is j,
    // or "q<i>" with stringQueryIds), the texts in queries and documents files.
    private (string Train, string Queries, string Documents) IdRows(bool stringScores = false, bool stringQueryIds = false)
    {
        var rows = FixtureRows();
        var docs = FixtureDocuments();
        string Q(int i) => stringQueryIds ? JsonSerializer.Serialize(new { query_id = $"{100 + i}", text = rows[i].GetProperty("query").GetString() })
            : JsonSerializer.Serialize(new { query_id = 100 + i, text = rows[i].GetProperty("query").GetString() });
        string D(int i) => JsonSerializer.Serialize(new { document_id = i, text = docs[i] });
        string T(int i)
        {
            var ids = rows[i].GetProperty("documents").EnumerateArray().Select(d => docs.IndexOf(d.GetString()!)).ToArray();
            string scores = rows[i].GetProperty("scores").GetRawText();
            return $"{{\"query_id\": {100 + i}, \"document_ids\": {JsonSerializer.Serialize(ids)}, \"scores\": {(stringScores ? JsonSerializer.Serialize(scores) : scores)}}}";
        }
        var n = Enumerable.Range(0, rows.Count);
        return (InfraPaths.WriteFile(dir, "kd_train.jsonl", string.Join("\n", n.Select(T)) + "\n"),
            InfraPaths.WriteFile(dir, "kd_queries.jsonl", string.Join("\n", n.Select(Q)) + "\n"),
            InfraPaths.WriteFile(dir, "kd_documents.jsonl", string.Join("\n", Enumerable.Range(0, docs.Count).Select(D)) + "\n"));
    }

    private static double Reference(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "training", "colbert_columns.json")));
        return doc.RootElement.GetProperty(name).GetProperty("loss").GetDouble();
    }

    private static void AssertLoss(TrainerSetup setup, string reference)
    {
        var data = setup.Train[0];
        Assert.Equal("documents", data.ListColumn);
        setup.Model.ZeroGradients();
        float value = setup.Loss.ComputeAndBackward(setup.Model, data.Batch([.. Enumerable.Range(0, data.Count)]));
        double expected = Reference(reference);
        Assert.True(Math.Abs(value - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"loss {value}, PyTorch {expected}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // scores written as the text of a list, which PyLate literal_evals
    public void KdProcessingRowsTrainToTheReferenceLoss(bool stringScores)
    {
        var (train, queries, documents) = IdRows(stringScores);
        using var setup = TrainingRun.Build(Config($"{train}\n  queries: {queries}\n  documents: {documents}"));
        AssertLoss(setup, "distillation_ids");
    }

    [Fact]
    public void KdProcessingKeepsNWaysAndAMissingQueryIsOneLine()
    {
        var (train, queries, documents) = IdRows();
        var kept = KdProcessing.Read(train, queries, documents, nWays: 2);
        var full = KdProcessing.Read(train, queries, documents, nWays: 32);
        Assert.Equal(["query", "documents[0]", "documents[1]"], kept.Columns);
        Assert.Equal(full.Rows.Select(r => r[..3]), kept.Rows);
        Assert.Equal(Enumerable.Range(0, full.Count).SelectMany(i => full.Labels!.Skip(i * 3).Take(2)), kept.Labels);

        File.AppendAllText(train, "{\"query_id\": 999, \"document_ids\": [0, 1], \"scores\": [1, 2]}\n");
        var e = Assert.Throws<TrainingException>(() => KdProcessing.Read(train, queries, documents, 32));
        Assert.Equal($"{train}:{File.ReadAllLines(train).Length}: column 'query_id': 999 is not in {queries} (PyLate's KDProcessing fails on it too)", e.Message);
        e = Assert.Throws<TrainingException>(() => Config($"{train}\n  queries: {queries}"));
        Assert.Contains("data.queries and data.documents go together", e.Message);
    }

    [Fact]
    public void AMissingDocumentTrainsAsAnEmptyDocumentWithOneNote()
    {
        var (train, queries, documents) = IdRows();
        int gone = FixtureDocuments().IndexOf("Fjellvandring"); // the first row's second document (the reference's empty one)
        File.WriteAllLines(documents, [.. File.ReadLines(documents).Where(l => !l.Contains("Fjellvandring", StringComparison.Ordinal))]);
        AssertTrainsAsMissing(train, queries, documents, $"{gone}");
    }

    // The rows train with the first row's second document empty, to the reference loss of a missing document, with one
    // note naming the first missing id.
    private void AssertTrainsAsMissing(string train, string queries, string documents, string first)
    {
        var lines = new List<string>();
        using var setup = TrainingRun.Build(Config($"{train}\n  queries: {queries}\n  documents: {documents}"), log: lines.Add);
        Assert.Equal("", setup.Train[0].Rows[0][2]);
        AssertLoss(setup, "distillation_missing");
        Assert.Equal([$"note: {train}: 1 of 12 document ids (the first: {first}) are not in {documents}; each trains as an empty document, " +
            "as PyLate's KDProcessing puts an empty text for an id it cannot find"], lines.Where(l => l.Contains("document ids", StringComparison.Ordinal)));
    }

    /// <summary>
    /// A null among a row's document ids was refused on reading ("must be a non-empty list of texts"); PyLate looks
    /// <c>None</c> up in its documents' dict, finds nothing and puts an empty text, so it trains as the missing document
    /// does: the same PyTorch reference loss, counted in the same note.
    /// </summary>
    [Fact]
    public void ANullDocumentIdTrainsAsAnEmptyDocumentAsInPyLate()
    {
        var (train, queries, documents) = IdRows();
        int gone = FixtureDocuments().IndexOf("Fjellvandring"); // the first row's second document (the reference's empty one)
        var lines = File.ReadAllLines(train);
        using (var first = JsonDocument.Parse(lines[0]))
            Assert.Equal(gone, first.RootElement.GetProperty("document_ids")[1].GetInt32());
        lines[0] = System.Text.RegularExpressions.Regex.Replace(lines[0], $@"(""document_ids"": \[\d+,){gone}\b", "$1null");
        Assert.Contains("null", lines[0], StringComparison.Ordinal);
        File.WriteAllLines(train, lines);
        AssertTrainsAsMissing(train, queries, documents, "null");
    }

    [Fact]
    public void IdsOfDifferingTypesMatchByTheirTextWithOneNote()
    {
        var (train, queries, documents) = IdRows(stringQueryIds: true); // "100" in the queries, 100 in the rows
        Assert.Contains("\"query_id\":\"100\"", File.ReadAllText(queries), StringComparison.Ordinal);
        var notes = new List<string>();
        var mixed = KdProcessing.Read(train, queries, documents, 32, notes.Add);
        Assert.Equal(KdProcessing.Read(train, IdRows().Queries, documents, 32).Rows, mixed.Rows);
        Assert.Equal([$"note: {train}: its query_id are integers and {queries}'s ids texts; Skald matches an id by its text (17 finds \"17\"), " +
            "where PyLate's KDProcessing looks ids up in a Python dict, which finds none of them"], notes);
        notes.Clear();
        KdProcessing.Read(train, IdRows().Queries, documents, 32, notes.Add);
        Assert.Empty(notes);
        // a CSV file's ids are typed as its loader (pandas) infers them: a column of integers matches integer ids silently
        string csv = InfraPaths.WriteFile(dir, "kd_train.csv", "query_id,document_ids,scores\n" + string.Concat(File.ReadLines(train).Where(l => l.Length > 0).Select(l =>
        {
            var r = JsonDocument.Parse(l).RootElement;
            return $"{r.GetProperty("query_id").GetRawText()},\"{r.GetProperty("document_ids").GetRawText()}\",\"{r.GetProperty("scores").GetRawText()}\"\n";
        })));
        Assert.Equal(mixed.Rows, KdProcessing.Read(csv, IdRows().Queries, documents, 32, notes.Add).Rows);
        Assert.Empty(notes);
    }

    /// <summary>
    /// Ids written as floats that are whole numbers (<c>100.0</c>, <c>3e0</c>: what a JSON column holding one float gives
    /// every row once Arrow types it; a CSV column pandas reads as floats) were refused in a list of document ids and found
    /// no query or document; PyLate's dict finds the int key 17 with the float 17.0, so they match their integers, with no
    /// note (both are numbers). A fraction is still no document id.
    /// </summary>
    [Fact]
    public void WholeNumberFloatIdsMatchTheirIntegersAsInPython()
    {
        var (train, queries, documents) = IdRows();
        static string Floats(JsonElement r) => $"{{\"query_id\": {r.GetProperty("query_id").GetInt32()}.0, \"document_ids\": [" +
            string.Join(", ", r.GetProperty("document_ids").EnumerateArray().Select((d, k) => k % 2 == 0 ? $"{d.GetInt32()}.0" : $"{d.GetInt32()}e0")) +
            $"], \"scores\": {r.GetProperty("scores").GetRawText()}}}\n";
        string floatTrain = InfraPaths.WriteFile(dir, "kd_floats.jsonl",
            string.Concat(File.ReadLines(train).Where(l => l.Length > 0).Select(l => Floats(JsonDocument.Parse(l).RootElement))));
        string floatDocuments = InfraPaths.WriteFile(dir, "kd_float_documents.jsonl",
            System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(documents), "\"document_id\":([0-9]+)", "\"document_id\":$1.0"));
        Assert.Contains("\"document_id\":3.0", File.ReadAllText(floatDocuments), StringComparison.Ordinal);
        var notes = new List<string>();
        var expected = KdProcessing.Read(train, queries, documents, 32).Rows;
        Assert.Equal(expected, KdProcessing.Read(floatTrain, queries, floatDocuments, 32, notes.Add).Rows);
        // a CSV column pandas reads as floats likewise
        string csvQueries = InfraPaths.WriteFile(dir, "kd_queries.csv", "query_id,text\n" + string.Concat(File.ReadLines(queries).Where(l => l.Length > 0).Select(l =>
        {
            var r = JsonDocument.Parse(l).RootElement;
            return $"{r.GetProperty("query_id").GetInt32()}.0,\"{r.GetProperty("text").GetString()!.Replace("\"", "\"\"", StringComparison.Ordinal)}\"\n";
        })));
        Assert.Equal(expected, KdProcessing.Read(train, csvQueries, documents, 32, notes.Add).Rows);
        Assert.Empty(notes);

        File.AppendAllText(floatTrain, "{\"query_id\": 100, \"document_ids\": [1.5], \"scores\": [1]}\n");
        var e = Assert.Throws<TrainingException>(() => KdProcessing.Read(floatTrain, queries, documents, 32));
        Assert.Equal($"{floatTrain}:{File.ReadAllLines(floatTrain).Length}: column 'document_ids': each id must be a string or a whole number, got 1.5", e.Message);
    }

    /// <summary>
    /// A document id holding a lone surrogate escape (valid JSON, no text) is one line naming the file and row, as the
    /// other training readers say it; it was an InvalidOperationException, an internal error to skald train.
    /// </summary>
    [Fact]
    public void ALoneSurrogateDocumentIdIsOneLine()
    {
        var (train, queries, documents) = IdRows();
        File.AppendAllText(train, "{\"query_id\": 100, \"document_ids\": [\"\\ud800\"], \"scores\": [1]}\n");
        var e = Assert.Throws<TrainingException>(() => KdProcessing.Read(train, queries, documents, 32));
        Assert.Equal($"{train}:{File.ReadAllLines(train).Length}: {Skald.Retrieval.Data.DataFiles.LoneSurrogate("document_ids")}", e.Message);
    }

    /// <summary>A KD row as Parquet.Net's serializer writes it: int64 query_id, LIST of int64 document_ids, LIST of double scores.</summary>
    public sealed class KdRow
    {
        [JsonPropertyName("query_id")]
        public long QueryId { get; set; }
        [JsonPropertyName("document_ids")]
        public long[] DocumentIds { get; set; } = [];
        [JsonPropertyName("scores")]
        public double[] Scores { get; set; } = [];
    }

    /// <summary>A KD row whose document ids may be null: a LIST of nullable int64, as Arrow writes <c>[17, None]</c>.</summary>
    public sealed class KdNullableRow
    {
        [JsonPropertyName("query_id")]
        public long QueryId { get; set; }
        [JsonPropertyName("document_ids")]
        public long?[] DocumentIds { get; set; } = [];
        [JsonPropertyName("scores")]
        public double[] Scores { get; set; } = [];
    }

    /// <summary>
    /// A null inside a Parquet list of document ids was refused on reading ("holds a null inside its list"); it trains
    /// as the empty document PyLate puts for an id its dict lacks, to the same PyTorch reference loss as a missing one.
    /// </summary>
    [Fact]
    public async Task ANullDocumentIdInAParquetListTrainsAsAnEmptyDocument()
    {
        var rows = FixtureRows();
        var docs = FixtureDocuments();
        int gone = docs.IndexOf("Fjellvandring"); // once, in the first row (the reference's empty document)
        var kd = rows.Select((r, i) => new KdNullableRow
        {
            QueryId = 100 + i,
            DocumentIds = [.. r.GetProperty("documents").EnumerateArray().Select(d => docs.IndexOf(d.GetString()!)).Select(k => k == gone ? (long?)null : k)],
            Scores = [.. r.GetProperty("scores").EnumerateArray().Select(x => x.GetDouble())],
        }).ToList();
        Assert.Single(kd.SelectMany(r => r.DocumentIds), id => id is null);
        string train = Path.Combine(dir, "nulls.parquet"), queries = Path.Combine(dir, "queries.parquet"), documents = Path.Combine(dir, "documents.parquet");
        await ParquetSerializer.SerializeAsync(kd, train);
        await ParquetSerializer.SerializeAsync(rows.Select((r, i) => new IdText { Id = 100 + i, Text = r.GetProperty("query").GetString()! }), queries);
        await ParquetSerializer.SerializeAsync(docs.Select((d, i) => new DocumentText { Id = i, Text = d }), documents);
        AssertTrainsAsMissing(train, queries, documents, "null");
    }

    /// <summary>A queries or documents row (the id column's name set by the file).</summary>
    public sealed class IdText
    {
        [JsonPropertyName("query_id")]
        public long Id { get; set; }
        [JsonPropertyName("text")]
        public string Text { get; set; } = "";
    }

    /// <summary>A documents row.</summary>
    public sealed class DocumentText
    {
        [JsonPropertyName("document_id")]
        public long Id { get; set; }
        [JsonPropertyName("text")]
        public string Text { get; set; } = "";
    }

    [Fact]
    public async Task ParquetRowsAndShardsTrainToTheReferenceLoss()
    {
        var rows = FixtureRows();
        var docs = FixtureDocuments();
        var kd = rows.Select((r, i) => new KdRow
        {
            QueryId = 100 + i,
            DocumentIds = [.. r.GetProperty("documents").EnumerateArray().Select(d => (long)docs.IndexOf(d.GetString()!))],
            Scores = [.. r.GetProperty("scores").EnumerateArray().Select(s => s.GetDouble())],
        }).ToList();
        string train = Path.Combine(dir, "train.parquet"), first = Path.Combine(dir, "train-0.parquet"), second = Path.Combine(dir, "train-1.parquet");
        string queries = Path.Combine(dir, "queries.parquet"), documents = Path.Combine(dir, "documents.parquet");
        await ParquetSerializer.SerializeAsync(kd, train);
        await ParquetSerializer.SerializeAsync(kd.Take(1), first);
        await ParquetSerializer.SerializeAsync(kd.Skip(1), second);
        await ParquetSerializer.SerializeAsync(rows.Select((r, i) => new IdText { Id = 100 + i, Text = r.GetProperty("query").GetString()! }), queries);
        await ParquetSerializer.SerializeAsync(docs.Select((d, i) => new DocumentText { Id = i, Text = d }), documents);

        using (var setup = TrainingRun.Build(Config($"{train}\n  queries: {queries}\n  documents: {documents}")))
            AssertLoss(setup, "distillation_ids");
        // the shards of one data set (a hub dataset's split) are its rows in order; the texts as JSON Lines give the same
        var (jsonl, jsonQueries, jsonDocuments) = IdRows();
        var sharded = KdProcessing.Read("kd", [first, second], queries, documents, 32, p => [p]);
        var lines = KdProcessing.Read(jsonl, jsonQueries, jsonDocuments, 32);
        Assert.Equal("kd", sharded.Name);
        Assert.Equal(lines.Columns, sharded.Columns);
        Assert.Equal(lines.Rows, sharded.Rows);
        Assert.Equal(lines.Labels, sharded.Labels);
    }
}
