using System.Text.Json;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// A ColBERT run's columns as PyLate reads them: integer <c>query_id</c>s (PyLate's distillation rows as the hub's
/// data sets carry them) train to the same PyTorch reference loss as string ids, and are refused in one line by a loss
/// that reads every column; PyLate's column-order warning (<c>ColBERTCollator.maybe_warn_about_column_order</c>) is one
/// <c>note:</c> line in the cases upstream warns and none otherwise; the ColBERT triplet evaluation takes the positive and
/// negative by name (the id columns left out), with one line when either is missing.
/// </summary>
public sealed class ColbertDataColumnsTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(Skald.Tests.Repository.Root, "fixtures");

    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private TrainingConfig Config(string data, string loss = "colbert_distillation", string eval = "") => ConfigLoader.Parse($"""
        model:
          path: {Path.Combine(Fixtures, "models", "colbert-bert-tiny")}
          dropout: 0.0
        data:
          train: {data}
        {eval}
        training:
          batch_size: 4
          max_steps: 1
        output:
          dir: {Path.Combine(dir, "run")}
          tensorboard: false
        loss:
          type: {loss}
        """, "c.yaml");

    // The fixture's distillation rows with each "q<i>" query_id written as the integer i.
    private string IntegerIds()
    {
        var lines = File.ReadLines(Path.Combine(Fixtures, "training", "colbert_columns", "distillation_ids.jsonl")).Where(l => l.Length > 0)
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, "\"query_id\": \"q([0-9]+)\"", "\"query_id\": $1"));
        return InfraPaths.WriteFile(dir, "int_ids.jsonl", string.Join("\n", lines) + "\n");
    }

    [Fact]
    public void IntegerQueryIdsTrainToTheReferenceLoss()
    {
        string file = IntegerIds();
        Assert.Contains("\"query_id\": 0,", File.ReadAllText(file), StringComparison.Ordinal);
        using var setup = TrainingRun.Build(Config(file));
        var data = setup.Train[0];
        setup.Model.ZeroGradients();
        float value = setup.Loss.ComputeAndBackward(setup.Model, data.Batch([.. Enumerable.Range(0, data.Count)]));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "training", "colbert_columns.json")));
        double expected = doc.RootElement.GetProperty("distillation_ids").GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(value - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"loss {value}, PyTorch {expected}");
    }

    [Fact]
    public void IntegerIdsAreRefusedInOneLineWhereEveryColumnIsRead()
    {
        string file = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 4).Select(i =>
            $"{{\"query_id\": {i}, \"query\": \"spørsmål {i}\", \"positive\": \"svar {i}\"}}\n")));
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(file));
        Assert.Equal($"{file}: column 'query_id' holds numbers, not texts (a ColBERT loss leaves a column whose name contains '_id' out, " +
            "as PyLate's collator does; another reads every column: pick the text columns with data.columns)", e.Message);
        Assert.Equal(["query_id", "query", "positive"], DatasetReader.Read(file, idsLeftOut: true).Columns);
        // a list of integer ids (PyLate's document_ids) too: left out by a ColBERT loss, refused by another
        string lists = InfraPaths.WriteFile(dir, "lists.jsonl", string.Concat(Enumerable.Range(0, 4).Select(i =>
            $"{{\"document_ids\": [{i}, 9], \"query\": \"spørsmål {i}\", \"positive\": \"svar {i}\"}}\n")));
        Assert.Equal("[0, 9]", DatasetReader.Read(lists, idsLeftOut: true).Rows[0][0]);
        Assert.StartsWith($"{lists}: column 'document_ids' holds numbers, not texts", Assert.Throws<TrainingException>(() => DatasetReader.Read(lists)).Message);
        // a number in another column is still no text
        string other = InfraPaths.WriteFile(dir, "odd.jsonl", "{\"query\": \"q\", \"positive\": 3}\n");
        Assert.Equal($"{other}:1: column 'positive' must be a string", Assert.Throws<TrainingException>(() => DatasetReader.Read(other, idsLeftOut: true)).Message);
    }

    /// <summary>
    /// A list of text ids in a row of a ColBERT loss (<c>"document_ids": ["d3", "d9"]</c> beside query, positive and
    /// negative) was taken for a listwise column and refused ("needs a 'labels' column", or "only the last text column may
    /// hold lists"); PyLate's collator leaves any column whose name contains <c>_id</c> untokenized, so it is left out.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AListOfTextIdsIsLeftOutByAColbertLoss(bool idsFirst)
    {
        string Row(int i) => idsFirst
            ? $"{{\"document_ids\": [\"d{i}\", \"d9\"], \"query\": \"spørsmål {i}\", \"positive\": \"svar {i}\", \"negative\": \"feil {i}\"}}\n"
            : $"{{\"query\": \"spørsmål {i}\", \"positive\": \"svar {i}\", \"negative\": \"feil {i}\", \"document_ids\": [\"d{i}\", \"d9\"]}}\n";
        string file = InfraPaths.WriteFile(dir, "text_ids.jsonl", string.Concat(Enumerable.Range(0, 4).Select(Row)));
        var read = DatasetReader.Read(file, idsLeftOut: true);
        Assert.Null(read.ListColumn);
        Assert.Equal(["query", "positive", "negative"], read.Columns.Where(c => c != "document_ids"));
        using var setup = TrainingRun.Build(Config(file, "colbert_contrastive"));
        var data = setup.Train[0];
        setup.Model.ZeroGradients();
        Assert.True(float.IsFinite(setup.Loss.ComputeAndBackward(setup.Model, data.Batch([.. Enumerable.Range(0, data.Count)]))));
    }

    /// <summary>
    /// A list of ids with nulls in it (<c>"document_ids": ["d1", null]</c>, <c>[17, null]</c>) was refused on reading,
    /// "must be a non-empty list of texts", before a loss looked at it; PyLate's collator leaves every column whose name
    /// contains <c>_id</c> untokenized, whatever it holds, so a ColBERT loss trains on the rest, and another loss refuses
    /// it in one line naming the file and the column.
    /// </summary>
    [Theory]
    [InlineData("\"d{0}\", null")]
    [InlineData("{0}, null")]
    [InlineData("null, {0}")] // (a list of nulls alone, the same in every row, would be a duplicate text to no_duplicates)
    public void AListOfIdsWithNullsIsLeftOutByAColbertLossAndRefusedInOneLineByAnother(string ids)
    {
        string file = InfraPaths.WriteFile(dir, "null_ids.jsonl", string.Concat(Enumerable.Range(0, 4).Select(i =>
            $"{{\"query\": \"spørsmål {i}\", \"positive\": \"svar {i}\", \"negative\": \"feil {i}\", \"document_ids\": [{string.Format(System.Globalization.CultureInfo.InvariantCulture, ids, i)}]}}\n")));
        var read = DatasetReader.Read(file, idsLeftOut: true);
        Assert.Null(read.ListColumn);
        Assert.Equal(["query", "positive", "negative"], read.Columns.Where(c => c != "document_ids"));
        using (var setup = TrainingRun.Build(Config(file, "colbert_contrastive")))
        {
            var data = setup.Train[0];
            setup.Model.ZeroGradients();
            Assert.True(float.IsFinite(setup.Loss.ComputeAndBackward(setup.Model, data.Batch([.. Enumerable.Range(0, data.Count)]))));
        }
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(file));
        Assert.Equal($"{file}: column 'document_ids' holds lists of ids with nulls, not texts (a ColBERT loss leaves a column whose name " +
            "contains '_id' out, as PyLate's collator does; another reads every column: pick the text columns with data.columns)", e.Message);
    }

    [Theory]
    [InlineData("{\"query_id\": 1, \"query\": \"q\", \"documents\": [\"a\", \"b\"], \"scores\": [0.5, 0.1]}", "query", 2, 1)] // PyLate's own KD rows: upstream warns too
    [InlineData("{\"query\": \"q\", \"negative\": \"n\", \"positive\": \"p\"}", "positive", 3, 2)]
    [InlineData("{\"positive\": \"p\", \"anchor\": \"q\", \"negative\": \"n\"}", "anchor", 2, 1)] // the table's first name found misplaced
    [InlineData("{\"question\": \"q\", \"text\": \"t\", \"answer\": \"a\"}", "answer", 3, 2)]
    [InlineData("{\"query\": \"q\", \"positive\": \"p\", \"negative\": \"n\"}", null, 0, 0)]
    [InlineData("{\"text\": \"q\", \"document\": \"p\", \"other\": \"n\"}", null, 0, 0)] // no usual name: no warning
    [InlineData("{\"anchor\": \"q\", \"positive\": \"p\", \"label\": 1.0}", null, 0, 0)]
    public void PyLatesColumnOrderWarningIsOneNote(string row, string? column, int at, int expected)
    {
        string file = InfraPaths.WriteFile(dir, "rows.jsonl", string.Concat(Enumerable.Repeat(row + "\n", 4)));
        string? note = ColumnOrderNote.For(DatasetReader.Read(file, idsLeftOut: true));
        if (column is null)
        {
            Assert.Null(note);
            return;
        }
        Assert.NotNull(note);
        Assert.StartsWith($"note: {file}: column '{column}' is column {at}, where PyLate's collator expects a column so named to be column {expected} (it warns)", note);
    }

    [Fact]
    public void ARunPrintsTheColumnOrderNoteOnce()
    {
        var lines = new List<string>();
        using (TrainingRun.Build(Config(IntegerIds()), log: lines.Add)) { }
        Assert.Single(lines, l => l.StartsWith("note: ", StringComparison.Ordinal) && l.Contains("column 'query' is column 2", StringComparison.Ordinal)
            && l.EndsWith("here 'query', and the others by position", StringComparison.Ordinal));
    }

    [Fact]
    public void TheTripletEvaluationTakesItsColumnsByName()
    {
        // (id, query, negative, positive): by position the id would be the anchor and the negative the positive
        var eval = new TextDataset("eval.jsonl", ["query_id", "query", "negative", "positive"],
            [["7", "Hvor ligger huset?", "Bussen går klokka tre.", "Huset ligger ved sjøen."]]);
        var config = Config(IntegerIds(), "colbert_contrastive");
        var triplet = Assert.IsType<TripletEvaluator>(TrainingRun.CreateEvaluators(config, eval)[0]);
        var byName = new TripletEvaluator([["Hvor ligger huset?", "Huset ligger ved sjøen.", "Bussen går klokka tre."]]);
        Assert.Equal(Triplets(byName), Triplets(triplet));

        var missing = new TextDataset("eval.jsonl", ["query", "pos", "negative"], [["q", "p", "n"]]);
        var e = Assert.Throws<TrainingException>(() => TrainingRun.CreateEvaluators(config, missing));
        Assert.Equal("eval.jsonl: a ColBERT's triplet evaluation (PyLate's ColBERTTripletEvaluator) takes the anchor from the first column " +
            "and the documents from the columns 'positive' and 'negative'; there is no 'positive' after the first (the columns are query, pos, negative)", e.Message);

        // a dense model's evaluation keeps sentence-transformers' positions
        var dense = ConfigLoader.Parse($"""
            model:
              path: {Path.Combine(Fixtures, "models", "bert-cased-mean")}
            data:
              train: {IntegerIds()}
            output:
              dir: {Path.Combine(dir, "dense")}
            loss:
              type: mnrl
            """, "d.yaml");
        Assert.Equal([["q", "p", "n"]], Triplets(Assert.IsType<TripletEvaluator>(TrainingRun.CreateEvaluators(dense, missing)[0])));
    }

    private static string[][] Triplets(TripletEvaluator e) => [.. e.Triplets.Select(t => new[] { t.Anchor, t.Positive, t.Negative })];
}
