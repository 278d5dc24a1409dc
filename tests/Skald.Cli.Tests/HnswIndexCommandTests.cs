using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary><c>skald index build --hnsw</c>, <c>search --ef</c>, <c>index info</c> and <c>index add</c> on an HNSW index, through the real CLI.</summary>
public sealed class HnswIndexCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");
    private static readonly string Documents = SampleDocuments.Folder;
    private const string Query = "Hvor kan jeg parkere sykkelen?";

    private static string[] Ids(string folder, int k, params string[] extra)
    {
        var r = InProcessSkald.Capture(["search", "--index", folder, "--query", Query, "--mode", "dense", "--top-k", k.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--format", "json", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return [.. JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray().Select(h => h.GetProperty("id").GetString()!)];
    }

    // A copy (the test's own to change) of the shared index of the sample documents built with these options (and -q).
    private static string Index(params string[] options) =>
        SampleDocuments.CopyOfIndex(InProcessSkald.Capture, Model, ["--language", "nb",
            "--chunk-tokens", "200", .. options.Where(o => o != "-q")]); // 19 rows, for which ef 8 finds the exact top 3 (the fixture's default chunks make 63)

    [Fact]
    public void AnHnswIndexWalksItsGraphAndKeepingEveryRowIsTheExactIndex()
    {
        string plain = Index("-q");
        string folder = Index("--hnsw", "4", "--hnsw-ef-construction", "20", "--hnsw-ef", "8");
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.Equal((4, 20, 8), (manifest.GetProperty("hnsw_m").GetInt32(), manifest.GetProperty("hnsw_ef_construction").GetInt32(), manifest.GetProperty("hnsw_ef").GetInt32()));
        Assert.True(File.Exists(Path.Combine(folder, "hnsw.bin")));
        int rows = manifest.GetProperty("rows").GetInt32();
        Assert.Equal(Ids(plain, rows), Ids(folder, rows, "--ef", rows.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(Ids(plain, 3), Ids(folder, 3));

        var info = InProcessSkald.Capture("index", "info", "--index", folder, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        var described = JsonDocument.Parse(info.Stdout).RootElement;
        Assert.Equal(4, described.GetProperty("hnsw_m").GetInt32());
        Assert.Equal(8, described.GetProperty("hnsw_ef").GetInt32());
        Assert.True(described.GetProperty("hnsw_levels").GetInt32() >= 1);
        Assert.InRange(described.GetProperty("hnsw_links_per_row_mean").GetDouble(), 1, 8); // at most 2M on layer 0

        string extra = Path.Combine(TestPaths.NewTempDir(), "sykkelbod.txt");
        File.WriteAllText(extra, "Sykkelboden ligger bak kontoret. Der kan du parkere sykkelen trygt under tak.");
        var add = InProcessSkald.Capture("index", "add", "--index", folder, "--documents", extra);
        Assert.True(add.ExitCode == 0, add.Stderr);
        var grown = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.True(grown.GetProperty("rows").GetInt32() > rows);
        Assert.Equal(4, grown.GetProperty("hnsw_m").GetInt32());
        var added = InProcessSkald.Capture("index", "add", "--index", plain, "--documents", extra, "-q");
        Assert.True(added.ExitCode == 0, added.Stderr);
        int all = grown.GetProperty("rows").GetInt32();
        Assert.Equal(Ids(plain, all), Ids(folder, all, "--ef", all.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// <c>index add --replace-deleted</c>: a deleted document added back takes its rows' old slots, so the index keeps
    /// its row count and holds no tombstones (without the flag it grows by the document's rows), and searches find it
    /// as the exact index does; an index without a graph refuses the flag in one line.
    /// </summary>
    [Fact]
    public void AddWithReplaceDeletedReusesTheDeletedRowsSlots()
    {
        string plain = Index("-q");
        string folder = Index("--hnsw", "4", "--hnsw-ef-construction", "20", "-q");
        string bike = Path.Combine(Documents, "sykkel.txt");
        int Rows() => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement.GetProperty("rows").GetInt32();
        int rows = Rows();
        var r = InProcessSkald.Capture("index", "delete", "--index", folder, "--source", bike, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.NotEqual("", File.ReadAllText(Path.Combine(folder, "tombstones.txt")).Trim());
        r = InProcessSkald.Capture("index", "add", "--index", folder, "--documents", bike, "--replace-deleted", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(rows, Rows());
        Assert.Equal("", File.ReadAllText(Path.Combine(folder, "tombstones.txt")).Trim());
        Assert.Equal(Ids(plain, rows), Ids(folder, rows, "--ef", rows.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "add", "--index", plain, "--documents", bike, "--replace-deleted"), 1,
            "--replace-deleted is for an HNSW index");
    }

    /// <summary>
    /// <c>index build --hnsw-replace-deleted</c> keeps hnswlib's allow_replace_deleted in the index: <c>index info</c>
    /// and index.json say so, a plain <c>index add</c> gives a re-added document its old slots (no tombstones, the same
    /// row count), <c>--replace-deleted false</c> appends instead, and the setting needs <c>--hnsw</c>.
    /// </summary>
    [Fact]
    public void TheReplaceDeletedSettingIsKeptInTheIndexAndUsedByAdd()
    {
        string folder = Index("--hnsw", "4", "--hnsw-ef-construction", "20", "--hnsw-replace-deleted", "-q");
        string bike = Path.Combine(Documents, "sykkel.txt");
        JsonElement Manifest() => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.True(Manifest().GetProperty("hnsw_replace_deleted").GetBoolean());
        var info = InProcessSkald.Capture("index", "info", "--index", folder, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.True(JsonDocument.Parse(info.Stdout).RootElement.GetProperty("hnsw_replace_deleted").GetBoolean()); // a JSON boolean, not a sentence
        int rows = Manifest().GetProperty("rows").GetInt32();
        var r = InProcessSkald.Capture("index", "add", "--index", folder, "--documents", bike, "-q"); // added again: its old rows dropped
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(rows, Manifest().GetProperty("rows").GetInt32());
        Assert.Equal("", File.ReadAllText(Path.Combine(folder, "tombstones.txt")).Trim());
        r = InProcessSkald.Capture("index", "add", "--index", folder, "--documents", bike, "--replace-deleted", "false", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(Manifest().GetProperty("rows").GetInt32() > rows); // appended: the dropped rows stay as tombstones
        Assert.NotEqual("", File.ReadAllText(Path.Combine(folder, "tombstones.txt")).Trim());
        Assert.True(Manifest().GetProperty("hnsw_replace_deleted").GetBoolean()); // the setting survives the adds

        string plain = Index("--hnsw", "4", "--hnsw-ef-construction", "20", "-q");
        Assert.False(JsonDocument.Parse(File.ReadAllText(Path.Combine(plain, "index.json"))).RootElement.TryGetProperty("hnsw_replace_deleted", out _));
        info = InProcessSkald.Capture("index", "info", "--index", plain, "--format", "json");
        Assert.False(JsonDocument.Parse(info.Stdout).RootElement.GetProperty("hnsw_replace_deleted").GetBoolean());
        string other = Path.Combine(TestPaths.NewTempDir(), "idx");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", other,
            "--hnsw-replace-deleted"), 2, "--hnsw-replace-deleted needs --hnsw M");
    }

    /// <summary>
    /// <c>index reindex --hnsw</c> keeps the index's <c>hnsw_replace_deleted</c> without the flag (as <c>index add</c>
    /// does), <c>--hnsw-replace-deleted false</c> drops it, and the flag sets it on an index built without it.
    /// </summary>
    [Fact]
    public void ReindexKeepsTheReplaceDeletedSettingUnlessToldOtherwise()
    {
        string folder = Index("--hnsw", "4", "--hnsw-ef-construction", "20", "--hnsw-replace-deleted", "-q");
        bool Kept() => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement.TryGetProperty("hnsw_replace_deleted", out var v) && v.GetBoolean();
        void Reindex(params string[] extra)
        {
            var r = InProcessSkald.Capture(["index", "reindex", "--index", folder, "--hnsw", "4", "--hnsw-ef-construction", "20", "-q", .. extra]);
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        Reindex();
        Assert.True(Kept());
        Reindex("--hnsw-replace-deleted", "false");
        Assert.False(Kept());
        Reindex();
        Assert.False(Kept());
        Reindex("--hnsw-replace-deleted");
        Assert.True(Kept());
    }

    /// <summary>
    /// <c>index reindex --hnsw</c> keeps the index's <c>hnsw_ef_construction</c> and <c>hnsw_ef</c> unless given again
    /// (they went back to the defaults), and takes each one given on its own.
    /// </summary>
    [Fact]
    public void ReindexKeepsTheEfSettingsUnlessGiven()
    {
        string folder = Index("--hnsw", "4", "--hnsw-ef-construction", "20", "--hnsw-ef", "9", "-q");
        (int Construction, int Search) Ef()
        {
            var m = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
            return (m.GetProperty("hnsw_ef_construction").GetInt32(), m.GetProperty("hnsw_ef").GetInt32());
        }
        void Reindex(params string[] extra)
        {
            var r = InProcessSkald.Capture(["index", "reindex", "--index", folder, "--hnsw", "4", "-q", .. extra]);
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        Assert.Equal((20, 9), Ef());
        Reindex();
        Assert.Equal((20, 9), Ef());
        Reindex("--hnsw-ef", "12");
        Assert.Equal((20, 12), Ef());
        Reindex("--hnsw-ef-construction", "30");
        Assert.Equal((30, 12), Ef());
    }

    /// <summary>A graph over int8 rows: built, described, and searched as the exact int8 index when ef covers every row.</summary>
    [Fact]
    public void AnInt8IndexWithAGraphSearchesAsTheExactInt8Index()
    {
        string graphFolder = Path.Combine(TestPaths.NewTempDir(), "idx"), exactFolder = Path.Combine(TestPaths.NewTempDir(), "exact");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", graphFolder, "--hnsw", "8", "--precision", "int8", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", exactFolder, "--precision", "int8", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var info = InProcessSkald.Capture("index", "info", "--index", graphFolder, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        var fields = System.Text.Json.JsonDocument.Parse(info.Stdout).RootElement;
        Assert.Equal("int8", fields.GetProperty("precision").GetString());
        Assert.Equal(8, fields.GetProperty("hnsw_m").GetInt32());
        int all = fields.GetProperty("rows").GetInt32();
        Assert.Equal(Ids(exactFolder, 5), Ids(graphFolder, 5, "--ef", all.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void BadSettingsGetOneLine()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        string[] build = ["index", "build", "--model", Model, "--documents", Documents, "--output", folder];
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. build, "--hnsw-ef", "10"]), 2, "--hnsw-ef needs --hnsw M");
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. build, "--hnsw", "8", "--ivf-lists", "2"]), 2, "choose one");
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. build, "--hnsw", "1"]), 2, "--hnsw");
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. build, "--hnsw", "500"]), 2, "more than 100");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", folder, "--query", "x", "--ef", "0"), 2, "--ef");
    }

    [Fact]
    public void EvaluateSearchesAsAnHnswIndexAndSaysSo()
    {
        string task = BeirFolder.Write(
            "{\"_id\": \"d0\", \"text\": \"Fjorden ligg stille om morgonen.\"}\n{\"_id\": \"d1\", \"text\": \"Bussen går 07:45 frå kaia.\"}\n" +
            "{\"_id\": \"d2\", \"text\": \"Legekontoret ligger i sentrum.\"}\n{\"_id\": \"d3\", \"text\": \"Apoteket stenger klokka fire.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går bussen?\"}\n{\"_id\": \"q2\", \"text\": \"Hvor er legekontoret?\"}\n",
            "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n");
        JsonElement Evaluate(params string[] extra)
        {
            var r = InProcessSkald.Capture(["evaluate", "--model", Model, "--task", task, "-q", .. extra]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return JsonDocument.Parse(r.Stdout).RootElement;
        }
        var exact = Evaluate();
        var graph = Evaluate("--hnsw", "4", "--hnsw-ef", "16");
        Assert.Equal(exact.GetProperty("main_score").GetDouble(), graph.GetProperty("main_score").GetDouble()); // 4 documents, ef 16: every one seen
        Assert.Equal("HNSW top-k (M 4, ef construction 200, ef 16), cosine", graph.GetProperty("metadata").GetProperty("model.search").GetString());
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", "bm25", "--task", task, "--hnsw", "4"), 2, "--hnsw applies to embedding models, not to bm25");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--hnsw", "4", "--ivf-lists", "2"), 2, "choose one");
    }
}
