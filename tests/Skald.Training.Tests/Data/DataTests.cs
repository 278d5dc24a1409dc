using Skald.Training.Config;
using Skald.Training.Data;

namespace Skald.Training.Tests.Data;

public sealed class DataTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    [Fact]
    public void ReadsJsonlColumnsByPositionWithLabel()
    {
        string f = InfraPaths.WriteFile(dir, "a.jsonl",
            "{\"anchor\": \"a1\", \"positive\": \"p1\", \"score\": 0.5}\n\n{\"positive\": \"p2\", \"anchor\": \"a2\", \"score\": 1}\n");
        var d = DatasetReader.Read(f);
        Assert.Equal(["anchor", "positive"], d.Columns);
        Assert.Equal(["a2", "p2"], d.Rows[1]);
        Assert.Equal([0.5f, 1f], d.Labels!);
        Assert.Equal("score", d.LabelColumn);
        var b = d.Batch([1, 0]);
        Assert.Equal(["a2", "a1"], b.Columns[0]);
        Assert.Equal([1f, 0.5f], b.Labels!);
    }

    [Fact]
    public void ReadsCsvWithQuotesAndTsv()
    {
        string csv = InfraPaths.WriteFile(dir, "a.csv", "sentence1,sentence2,label\n\"Hei, du\",\"Han sa \"\"ja\"\"\",0.25\n\"to\nlinjer\",b,1\n");
        var d = DatasetReader.Read(csv);
        Assert.Equal(["Hei, du", "Han sa \"ja\""], d.Rows[0]);
        Assert.Equal("to\nlinjer", d.Rows[1][0]);
        Assert.Equal([0.25f, 1f], d.Labels!);
        string tsv = InfraPaths.WriteFile(dir, "a.tsv", "q\tp\nHvor?\tDer.\n");
        Assert.Equal(["Hvor?", "Der."], DatasetReader.Read(tsv).Rows[0]);
    }

    [Theory]
    [InlineData("x.jsonl", "{\"a\": \"1\", \"b\": \"2\"}\n{\"a\": \"3\"}\n", "x.jsonl:2: missing column 'b'")]
    [InlineData("x.jsonl", "{\"a\": \"1\", \"b\": \"2\"}\n{\"a\": \"3\", \"b\": \"  \"}\n", "x.jsonl:2: empty text in column 'b'")]
    [InlineData("x.jsonl", "{\"a\": \"1\", \"b\": \"2\"}\n{\"a\": \"3\", \"b\"\n", "x.jsonl:2: invalid JSON")]
    [InlineData("x.jsonl", "{\"a\": \"1\", \"b\": 2}\n", "x.jsonl:1: column 'b' must be a string")]
    [InlineData("x.jsonl", "{\"a\": \"1\", \"label\": \"x\"}\n", "x.jsonl:1: column 'label' must be a number")]
    [InlineData("x.csv", "a,b\n1,2\n3\n", "x.csv:3: missing column 'b'")]
    [InlineData("x.tsv", "a\tb\n1\t\n", "x.tsv:2: empty text in column 'b'")]
    [InlineData("x.csv", "a,b\n", "x.csv: no data rows")]
    [InlineData("x.xlsx", "a\n", "unsupported data format '.xlsx'")]
    [InlineData("x.jsonl", "{\"a\": \"1\", \"a\": \"2\"}\n", "x.jsonl:1: key 'a' appears twice in the object")]
    [InlineData("x.jsonl", "{\"a\": \"1\", \"b\": \"2\"}\n{\"a\": \"3\", \"b\": \"4\", \"b\": \"5\"}\n", "x.jsonl:2: key 'b' appears twice in the object")]
    public void BadLinesAreNamed(string name, string text, string fragment)
    {
        string f = InfraPaths.WriteFile(dir, name, text);
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(f));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void AFolderIsNamedAsOne()
    {
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(dir)); // (it was "unsupported data format ''")
        Assert.Equal($"{dir}: is a folder; data is a file (.jsonl, .csv, .tsv, .parquet or .txt), or a list of them", e.Message);
    }

    [Fact]
    public void MalformedJsonNamesTheColumnOfTheLineNotTheParsersLineZero()
    {
        // The parser sees one line at a time, so its own position read "LineNumber: 0 | BytePositionInLine: 23" beside
        // the file's line 2. 'å' and 'æ' are two bytes each in UTF-8: the 'z' is character 22 (column 22) but byte 24.
        string f = InfraPaths.WriteFile(dir, "utf8.jsonl", "{\"a\": \"1\", \"b\": \"2\"}\n{\"a\": \"blåbær\", \"b\": zz}\n");
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(f));
        Assert.StartsWith($"{f}:2: invalid JSON at column 22 (", e.Message);
        Assert.DoesNotContain("LineNumber", e.Message);
    }

    /// <summary>
    /// data.columns picks input columns in order and leaves the others unread: a corpus file's empty titles do not stop
    /// a run over its texts; a missing column is one line naming the file's columns.
    /// </summary>
    [Fact]
    public void SelectedColumnsAloneAreReadAndChecked()
    {
        string f = InfraPaths.WriteFile(dir, "corpus.jsonl",
            "{\"_id\": \"d1\", \"title\": \"\", \"text\": \"Bussen går klokka sju.\"}\n{\"_id\": \"d2\", \"title\": \"Ferje\", \"text\": \"Ferja går.\"}\n");
        var d = DatasetReader.Read(f, ["text", "_id"]);
        Assert.Equal(["text", "_id"], d.Columns);
        Assert.Equal(["Bussen går klokka sju.", "d1"], d.Rows[0]);
        var whole = Assert.Throws<TrainingException>(() => DatasetReader.Read(f));
        Assert.Contains(":1: empty text in column 'title'", whole.Message);
        var missing = Assert.Throws<TrainingException>(() => DatasetReader.Read(f, ["body"]));
        Assert.Contains("no column 'body' (data.columns picks the columns of data.train, and of data.eval unless data.eval_columns gives its own; the file has _id, title, text)", missing.Message);
    }

    [Fact]
    public void ReadsPlainTextAsOneColumn()
    {
        var d = DatasetReader.Read(InfraPaths.WriteFile(dir, "c.txt", "Første linje.\n\n  \nAndre linje.\n"));
        Assert.Equal(["text"], d.Columns);
        Assert.Equal(2, d.Count);
        Assert.Equal("Andre linje.", d.Rows[1][0]);
    }

    [Fact]
    public void UnreadableFileIsNamed()
    {
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(Path.Combine(dir, "missing.jsonl")));
        Assert.EndsWith("missing.jsonl: file not found", e.Message); // every verb's wording, not "cannot read data file (Could not find file ...)"
    }

    private static TextDataset Pairs(int n, Func<int, string>? anchor = null) => new("d",
        ["anchor", "positive"], Enumerable.Range(0, n).Select(i => new[] { anchor?.Invoke(i) ?? $"a{i}", $"p{i}" }).ToArray());

    [Fact]
    public void NoDuplicatesSamplerNeverRepeatsATextInABatchAndUsesEveryRowOnce()
    {
        // Rows share anchors in groups of 3: a batch of 4 can hold at most one row of each group.
        var d = Pairs(40, i => $"shared{i / 3}");
        var plan = BatchPlanner.PlanEpoch([d], 4, shuffle: true, noDuplicates: true, "round_robin", seed: 1, epoch: 0);
        foreach (var b in plan)
        {
            var texts = b.Rows.SelectMany(r => d.Rows[r]).ToList();
            Assert.Equal(texts.Count, texts.Distinct().Count());
        }
        Assert.Equal(Enumerable.Range(0, 40), plan.SelectMany(b => b.Rows).Order());
        Assert.True(plan.Take(plan.Count - 3).All(b => b.Rows.Length == 4));
    }

    [Fact]
    public void PlansAreAFunctionOfSeedAndEpoch()
    {
        var d = Pairs(50);
        IReadOnlyList<PlannedBatch> P(ulong seed, int epoch) => BatchPlanner.PlanEpoch([d], 8, true, true, "round_robin", seed, epoch);
        Assert.Equal(P(3, 1).SelectMany(b => b.Rows), P(3, 1).SelectMany(b => b.Rows));
        Assert.NotEqual(P(3, 1).SelectMany(b => b.Rows), P(3, 2).SelectMany(b => b.Rows));
        Assert.NotEqual(P(3, 1).SelectMany(b => b.Rows), P(4, 1).SelectMany(b => b.Rows));
        var unshuffled = BatchPlanner.PlanEpoch([d], 8, false, false, "round_robin", 3, 0);
        Assert.Equal(Enumerable.Range(0, 50), unshuffled.SelectMany(b => b.Rows));
    }

    [Fact]
    public void SeveralDatasetsRoundRobinAndProportional()
    {
        var a = Pairs(40);
        var b = Pairs(12);
        var rr = BatchPlanner.PlanEpoch([a, b], 4, true, true, "round_robin", 1, 0);
        Assert.Equal([0, 1, 0, 1, 0, 1], rr.Select(x => x.Dataset));
        var prop = BatchPlanner.PlanEpoch([a, b], 4, true, true, "proportional", 1, 0);
        Assert.Equal(10, prop.Count(x => x.Dataset == 0));
        Assert.Equal(3, prop.Count(x => x.Dataset == 1));
    }

    [Fact]
    public void UnderRanksABatchTooSmallToGiveEachRankARowIsLeftOutAndTheRestKeptInOrder()
    {
        // 17 rows in batches of 8: 8, 8 and a last batch of 1, which two ranks cannot split.
        var plan = BatchPlanner.PlanEpoch([Pairs(17)], 8, true, false, "round_robin", 5, 0);
        Assert.Equal([8, 8, 1], plan.Select(b => b.Rows.Length));
        var two = BatchPlanner.ForRanks(plan, 2);
        Assert.Equal([plan[0], plan[1]], two);
        Assert.Same(plan, BatchPlanner.ForRanks(plan, 1));
        // A short batch in the middle (no-duplicates holds clashing rows back) goes too; batches of at least the ranks stay.
        PlannedBatch[] mixed = [new(0, [0, 1, 2]), new(0, [3]), new(0, [4, 5]), new(0, [6])];
        Assert.Equal([mixed[0], mixed[2]], BatchPlanner.ForRanks(mixed, 2));
        Assert.Equal([mixed[0]], BatchPlanner.ForRanks(mixed, 3));
    }

    [Fact]
    public void BatchLargerThanDataIsAnError()
    {
        var e = Assert.Throws<TrainingException>(() => BatchPlanner.Validate([Pairs(5)], 8));
        Assert.Equal("training.batch_size 8 is larger than the data: d has 5 rows; set training.batch_size to at most 5", e.Message);
    }

    /// <summary>
    /// A column that holds few texts and caps the no-duplicates batches (the sample files' "lang", read as an input when
    /// data.columns is left out) is named in the note, with the key that picks the inputs.
    /// </summary>
    [Fact]
    public void TheColumnThatCapsNoDuplicateBatchesIsNamed()
    {
        string[] langs = ["nb", "nn", "da", "sv"];
        var d = new TextDataset("pairs.jsonl", ["anchor", "positive", "lang"],
            [.. Enumerable.Range(0, 32).Select(i => new[] { $"spørsmål {i}", $"svar {i}", langs[i % 4] })]);
        var notes = new List<string>();
        BatchPlanner.Validate([d], 16, noDuplicates: true, warn: notes.Add);
        var note = Assert.Single(notes);
        Assert.Contains("batches hold at most 4 of training.batch_size 16 rows; column 'lang' has only 4 different texts", note, StringComparison.Ordinal);
        Assert.Contains("data.columns names the inputs", note, StringComparison.Ordinal);
    }

    /// <summary>
    /// Mined triplets that repeat their anchor once per negative (mine-negatives' default triplet format) cap the
    /// no-duplicates batches: the note points at the n-tuple format (the F journey: 53 mined rows trained in batches of at
    /// most 9 of 16, and the note said only that the rows repeat texts).
    /// </summary>
    [Fact]
    public void MinedTripletsThatRepeatTheirAnchorArePointedAtNTuples()
    {
        var d = new TextDataset("mined.jsonl", ["anchor", "positive", "negative"],
            [.. Enumerable.Range(0, 24).Select(i => new[] { $"spørsmål {i / 3}", $"svar {i / 3}", $"feil svar {i}" })]); // 8 anchors, 3 negatives each
        var notes = new List<string>();
        BatchPlanner.Validate([d], 16, noDuplicates: true, warn: notes.Add);
        var note = Assert.Single(notes);
        Assert.Equal("note: mined.jsonl: with training.no_duplicates its rows repeat texts, so batches hold at most 8 of training.batch_size 16 " +
            "rows; 16 rows repeat an earlier row's 'anchor', as mined triplets do (a row per negative): `skald data mine-negatives --format " +
            "n-tuple` writes one row per 'anchor' with all its negatives (one with fewer than --num-negatives left out)", note);
    }

    [Fact]
    public void SplitAndTakeAreSeededAndDisjoint()
    {
        var d = Pairs(100);
        var (train, eval) = d.Split(0.1, 42);
        Assert.Equal(90, train.Count);
        Assert.Equal(10, eval.Count);
        Assert.Empty(train.Rows.Select(r => r[0]).Intersect(eval.Rows.Select(r => r[0])));
        Assert.Equal(eval.Rows.Select(r => r[0]), d.Split(0.1, 42).Eval.Rows.Select(r => r[0]));
        Assert.Equal(25, d.Split(25, 1).Eval.Count);
        Assert.Equal(7, d.Take(7).Count);
    }
}
