using System.Text.Json.Nodes;

namespace Skald.Cli.Tests;

/// <summary>
/// Evaluation tasks given as Parquet (how Hugging Face publishes datasets) through the real CLI: the same scores as the
/// JSONL/TSV twin of the task, and a missing column is one line naming the file and the column (issue 12); a text
/// column that holds numbers is one line naming the file, the column and its type, while numeric ids are read as text.
/// </summary>
public sealed class ParquetTaskTests
{
    private static readonly string[] Docs =
    [
        "Bergen ligger på Vestlandet og er kjent for regn.", "Oslo er hovedstaden i Norge.",
        "Trondheim har Nidarosdomen.", "Stavanger er kjent for olje.", "Tromsø ligger nord for polarsirkelen.",
    ];

    private static readonly string[] Questions =
        ["Hvor ligger Bergen?", "Hva er hovedstaden i Norge?", "Hvilken by har Nidarosdomen?", "Hvor regner det mye?"];

    private static readonly (string Query, string Doc, long Grade)[] Judgements =
        [("q0", "d0", 1), ("q1", "d1", 1), ("q2", "d2", 2), ("q3", "d0", 1), ("q3", "d3", 0)];

    private readonly string dir = TestPaths.NewTempDir();

    private static string WriteParquet(string path, params (string Name, Array Values)[] columns) => ParquetFixture.Write(path, columns);

    private static string Json(string key, string value) => $"\"{key}\": {System.Text.Json.JsonSerializer.Serialize(value)}";

    private string JsonlRetrieval()
    {
        string folder = Path.Combine(dir, "jsonl-task");
        Directory.CreateDirectory(Path.Combine(folder, "qrels"));
        File.WriteAllLines(Path.Combine(folder, "corpus.jsonl"), Docs.Select((d, i) => $"{{{Json("_id", "d" + i)}, {Json("text", d)}}}"));
        File.WriteAllLines(Path.Combine(folder, "queries.jsonl"), Questions.Select((q, i) => $"{{{Json("_id", "q" + i)}, {Json("text", q)}}}"));
        File.WriteAllLines(Path.Combine(folder, "qrels", "test.tsv"),
            ["query-id\tcorpus-id\tscore", .. Judgements.Select(j => $"{j.Query}\t{j.Doc}\t{j.Grade}")]);
        return folder;
    }

    private string ParquetRetrieval(bool withQueryText = true)
    {
        string folder = Path.Combine(dir, withQueryText ? "parquet-task" : "broken-task");
        Directory.CreateDirectory(Path.Combine(folder, "qrels"));
        WriteParquet(Path.Combine(folder, "corpus.parquet"), ("_id", Docs.Select((_, i) => "d" + i).ToArray()), ("text", Docs));
        WriteParquet(Path.Combine(folder, "queries.parquet"), ("_id", Questions.Select((_, i) => "q" + i).ToArray()),
            (withQueryText ? "text" : "question", Questions));
        WriteParquet(Path.Combine(folder, "qrels", "test.parquet"), ("query-id", Judgements.Select(j => j.Query).ToArray()),
            ("corpus-id", Judgements.Select(j => j.Doc).ToArray()), ("score", Judgements.Select(j => j.Grade).ToArray()));
        return folder;
    }

    private JsonNode Evaluate(string task, params string[] extra)
    {
        string output = Path.Combine(dir, Guid.NewGuid().ToString("N") + ".json");
        var r = InProcessSkald.Capture(["evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", task, "--output", output, .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonNode.Parse(File.ReadAllText(output))!;
    }

    [Fact]
    public void RetrievalTaskInParquetScoresAsItsJsonlTwin()
    {
        var jsonl = Evaluate(JsonlRetrieval());
        var parquet = Evaluate(ParquetRetrieval());
        Assert.NotNull(jsonl["metrics"]);
        Assert.Equal(jsonl["metrics"]!.ToJsonString(), parquet["metrics"]!.ToJsonString());
        Assert.Equal(jsonl["main_score"]!.ToJsonString(), parquet["main_score"]!.ToJsonString());
    }

    [Fact]
    public void StsAndPairFilesInParquetScoreAsTheirTsvTwins()
    {
        string[] s1 = ["Hunden sover.", "Det regner i Bergen.", "Barna leker ute.", "Han spiller gitar.", "Bilen er rød."];
        string[] s2 = ["En hund hviler.", "Det er sol i Oslo.", "Ungene er ute og leker.", "Han spiser middag.", "Den røde bilen."];
        long[] scores = [5, 1, 4, 0, 4];
        long[] labels = [1, 0, 1, 0, 1];
        string Tsv(string name, string col, long[] v)
        {
            string path = Path.Combine(dir, name);
            File.WriteAllLines(path, [$"sentence1\tsentence2\t{col}", .. s1.Select((a, i) => $"{a}\t{s2[i]}\t{v[i]}")]);
            return path;
        }
        var stsTsv = Evaluate(Tsv("sts.tsv", "score", scores));
        var stsParquet = Evaluate(WriteParquet(Path.Combine(dir, "sts.parquet"), ("sentence1", s1), ("sentence2", s2), ("score", scores)));
        Assert.Equal(stsTsv["metrics"]!.ToJsonString(), stsParquet["metrics"]!.ToJsonString());
        var pairsTsv = Evaluate(Tsv("pairs.tsv", "label", labels));
        var pairsParquet = Evaluate(WriteParquet(Path.Combine(dir, "pairs.parquet"), ("sentence1", s1), ("sentence2", s2), ("label", labels)));
        Assert.Equal(pairsTsv["metrics"]!.ToJsonString(), pairsParquet["metrics"]!.ToJsonString());
        Assert.NotEqual(stsParquet["metrics"]!.ToJsonString(), pairsParquet["metrics"]!.ToJsonString());
    }

    [Fact]
    public void ClassificationFolderInParquetScoresAsItsJsonlTwin()
    {
        string[] texts = ["Kampen endte 2-1.", "Laget vant serien.", "Renten stiger igjen.", "Børsen falt i dag.", "Keeperen reddet straffen.", "Inflasjonen er høy."];
        string[] labels = ["sport", "sport", "økonomi", "økonomi", "sport", "økonomi"];
        string jsonl = Path.Combine(dir, "cls-jsonl"), parquet = Path.Combine(dir, "cls-parquet");
        Directory.CreateDirectory(jsonl);
        Directory.CreateDirectory(parquet);
        foreach (var (split, range) in new[] { ("train", 0..4), ("test", 4..6) })
        {
            File.WriteAllLines(Path.Combine(jsonl, split + ".jsonl"), texts[range].Select((t, i) => $"{{{Json("text", t)}, {Json("label", labels[range][i])}}}"));
            WriteParquet(Path.Combine(parquet, split + ".parquet"), ("text", texts[range]), ("label", labels[range]));
        }
        Assert.Equal(Evaluate(jsonl)["metrics"]!.ToJsonString(), Evaluate(parquet)["metrics"]!.ToJsonString());
    }

    [Fact]
    public void AMissingColumnInAParquetTaskIsOneLineNamingFileAndColumn()
    {
        string task = ParquetRetrieval(withQueryText: false);
        var r = InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", task);
        SkaldProcess.AssertUserError(r, 1, Path.Combine(task, "queries.parquet"), "no column \"text\"", "found: _id, question");
    }

    [Fact]
    public void NumericIdsInAParquetTaskAreReadAsTheirDigits()
    {
        string folder = Path.Combine(dir, "numeric-ids");
        Directory.CreateDirectory(Path.Combine(folder, "qrels"));
        long Number(string id) => long.Parse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) + (id[0] == 'q' ? 100 : 0);
        WriteParquet(Path.Combine(folder, "corpus.parquet"), ("_id", Docs.Select((_, i) => (long)i).ToArray()), ("text", Docs));
        WriteParquet(Path.Combine(folder, "queries.parquet"), ("_id", Questions.Select((_, i) => 100L + i).ToArray()), ("text", Questions));
        WriteParquet(Path.Combine(folder, "qrels", "test.parquet"), ("query-id", Judgements.Select(j => Number(j.Query)).ToArray()),
            ("corpus-id", Judgements.Select(j => Number(j.Doc)).ToArray()), ("score", Judgements.Select(j => j.Grade).ToArray()));
        Assert.Equal(Evaluate(JsonlRetrieval())["metrics"]!.ToJsonString(), Evaluate(folder)["metrics"]!.ToJsonString());
    }

    [Theory]
    [InlineData("corpus.parquet", "text")]
    [InlineData("corpus.parquet", "title")]
    [InlineData("queries.parquet", "text")]
    public void ANumericTextColumnInAParquetRetrievalTaskIsOneLineNamingFileColumnAndType(string file, string column)
    {
        string folder = ParquetRetrieval();
        long[] numbers = [.. Enumerable.Range(0, file == "corpus.parquet" ? Docs.Length : Questions.Length).Select(i => 7L * i)];
        if (file == "corpus.parquet")
        {
            WriteParquet(Path.Combine(folder, file), ("_id", Docs.Select((_, i) => "d" + i).ToArray()),
                ("title", column == "title" ? numbers : Docs), ("text", column == "text" ? numbers : Docs));
        }
        else WriteParquet(Path.Combine(folder, file), ("_id", Questions.Select((_, i) => "q" + i).ToArray()), ("text", numbers));
        var r = InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", folder);
        SkaldProcess.AssertUserError(r, 1, $"{Path.Combine(folder, file)}: column '{column}' has type int64, not string");
    }

    [Fact]
    public void ANumericSentenceColumnInAParquetStsFileIsOneLineNamingFileColumnAndType()
    {
        string path = WriteParquet(Path.Combine(dir, "sts-numbers.parquet"), ("sentence1", new[] { "Hunden sover.", "Bilen er rød." }),
            ("sentence2", new long[] { 3, 4 }), ("score", new long[] { 5, 1 }));
        var r = InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", path);
        SkaldProcess.AssertUserError(r, 1, $"{path}: column 'sentence2' has type int64, not string");
    }
}
