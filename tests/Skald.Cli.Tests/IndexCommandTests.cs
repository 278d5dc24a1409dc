using System.Text.Json;
using Skald.Models;

namespace Skald.Cli.Tests;

/// <summary><c>skald index build/add/delete</c> and <c>skald search</c> through the real CLI, on the tiny BERT fixture.</summary>
public sealed class IndexCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");
    private static readonly string Documents = SampleDocuments.Folder;

    // The shared index of the sample documents (read only).
    private static string SharedIndex() => SampleDocuments.Index(InProcessSkald.Capture, Model, "--language", "nb");

    // An index of a copy of the sample documents, both the test's own to change.
    private static string Build(out string folder)
    {
        string docs = SampleDocuments.Copy();
        folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", folder, "--language", "nb", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return docs;
    }

    private static JsonElement Search(string folder, string query, string mode, int k = 5)
    {
        var r = InProcessSkald.Capture("search", "--index", folder, "--query", query, "--mode", mode, "--top-k", k.ToString(System.Globalization.CultureInfo.InvariantCulture), "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results");
    }

    [Fact]
    public void BuildWritesTheIndexFilesAndDenseScoresAreTheModelsCosines()
    {
        string folder = SharedIndex();
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        int rows = manifest.GetProperty("rows").GetInt32(), dim = manifest.GetProperty("dimension").GetInt32();
        Assert.Equal(32, dim);
        Assert.True(rows >= 6, $"{rows} rows");
        Assert.Equal((long)rows * dim * 4, new FileInfo(Path.Combine(folder, "embeddings.f32")).Length);
        Assert.Equal(rows, File.ReadAllLines(Path.Combine(folder, "records.jsonl")).Length);
        Assert.True(File.Exists(Path.Combine(folder, "bm25.bin")));

        var hits = Search(folder, "Hvor kan jeg parkere sykkelen?", "dense", 3);
        Assert.Equal(3, hits.GetArrayLength());
        var encoder = SentenceEncoder.Load(Model); // the model's own prompts: "query: " and "passage: "
        var q = encoder.Encode("Hvor kan jeg parkere sykkelen?", new EncodeOptions { Prompt = "query: " });
        float previous = float.PositiveInfinity;
        foreach (var h in hits.EnumerateArray())
        {
            string title = h.GetProperty("title").GetString()!, text = h.GetProperty("text").GetString()!;
            var d = encoder.Encode(title.Length == 0 ? text : title + " " + text, new EncodeOptions { Prompt = "passage: " });
            float score = h.GetProperty("score").GetSingle();
            Assert.Equal(Cosine(q, d), score, 4);
            Assert.True(score <= previous);
            previous = score;
        }
    }

    [Fact]
    public void Bm25FindsTheWordAndDeleteAddAndCompactionWork()
    {
        string docs = Build(out string folder);
        var top = Search(folder, "glutenfrit brød", "bm25", 1)[0];
        Assert.EndsWith("kantine.md", top.GetProperty("source").GetString());
        Assert.Contains("Glutenfrit", top.GetProperty("text").GetString());
        Assert.True(top.GetProperty("end").GetInt32() > top.GetProperty("start").GetInt32());

        var del = InProcessSkald.Capture("index", "delete", "--index", folder, "--source", Path.Combine(docs, "kantine.md"));
        Assert.True(del.ExitCode == 0, del.Stderr);
        Assert.NotEmpty(File.ReadAllLines(Path.Combine(folder, "tombstones.txt")));
        foreach (var mode in new[] { "bm25", "dense", "hybrid" })
            foreach (var h in Search(folder, "glutenfrit brød", mode, 50).EnumerateArray())
                Assert.DoesNotContain("kantine.md", h.GetProperty("source").GetString());

        string extra = Path.Combine(TestPaths.NewTempDir(), "fjordhest.txt");
        File.WriteAllText(extra, "Fjordhesten Blakken står i stallen bak kontoret. Han får høy hver morgen klokken sju.");
        var add = InProcessSkald.Capture("index", "add", "--index", folder, "--documents", extra);
        Assert.True(add.ExitCode == 0, add.Stderr);
        Assert.Empty(File.ReadAllText(Path.Combine(folder, "tombstones.txt")).Trim()); // compacted
        var found = Search(folder, "fjordhesten Blakken", "hybrid", 1)[0];
        Assert.Equal(Path.GetRelativePath(docs, extra) + "#c0", found.GetProperty("id").GetString()); // outside the documents root: ../
        int rows = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement.GetProperty("rows").GetInt32();
        Assert.Equal(rows, File.ReadAllLines(Path.Combine(folder, "records.jsonl")).Length);

        var again = InProcessSkald.Capture("index", "add", "--index", folder, "--documents", extra); // re-adding replaces
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(rows, JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement.GetProperty("rows").GetInt32());
    }

    [Fact]
    public void BeirCorpusIndexesOneRowPerDocumentAndTheTableShowsThem()
    {
        string beir = BeirFolder.Write(
            "{\"_id\":\"d1\",\"title\":\"Tog\",\"text\":\"Toget til Bergen går klokken åtte.\"}\n" +
            "{\"_id\":\"d2\",\"title\":\"\",\"text\":\"Kantinen serverer suppe på fredager.\"}\n", "", null);
        string folder = Path.Combine(TestPaths.NewTempDir(), "beir-idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--corpus", beir, "--output", folder);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var hits = Search(folder, "suppe fredag", "bm25", 10);
        Assert.Equal("d2", hits[0].GetProperty("id").GetString());
        var table = InProcessSkald.Capture("search", "--index", folder, "--query", "toget til Bergen", "--top-k", "2");
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("| 1 |", table.Stdout);
        Assert.Contains("d1", table.Stdout);
        var deleted = InProcessSkald.Capture("index", "delete", "--index", folder, "--id", "d1");
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
        Assert.Equal(["d2"], Search(folder, "toget til Bergen", "dense", 10).EnumerateArray().Select(h => h.GetProperty("id").GetString()));
    }

    [Fact]
    public void AnIvfIndexProbesItsListsAndAllOfThemIsTheExactIndex()
    {
        string plain = SharedIndex();
        string folder = Path.Combine(TestPaths.NewTempDir(), "ivf");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder, "--language", "nb",
            "--ivf-lists", "3", "--ivf-probes", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("IVF: 3 lists, 1 probed per search", r.Stderr);
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.Equal(3, manifest.GetProperty("ivf_lists").GetInt32());
        Assert.Equal(1, manifest.GetProperty("ivf_probes").GetInt32());
        Assert.True(File.Exists(Path.Combine(folder, "ivf.bin")));
        static string[] Ids(JsonElement hits) => [.. hits.EnumerateArray().Select(h => Path.GetFileName(h.GetProperty("id").GetString()!))]; // the plain index is of a copy
        var exact = Search(plain, "Hvor kan jeg parkere sykkelen?", "dense", 8);
        var all = InProcessSkald.Capture("search", "--index", folder, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "dense", "--top-k", "8",
            "--format", "json", "--probes", "3");
        Assert.True(all.ExitCode == 0, all.Stderr);
        Assert.Equal(Ids(exact), Ids(JsonDocument.Parse(all.Stdout).RootElement.GetProperty("results")));
        int rows = manifest.GetProperty("rows").GetInt32();
        var one = Search(folder, "Hvor kan jeg parkere sykkelen?", "dense", rows); // the index's 1 probe: rows of one list only
        Assert.True(one.GetArrayLength() < rows && one.GetArrayLength() > 0, $"{one.GetArrayLength()} of {rows} rows from one of three lists");
        var oneIds = Ids(one).ToHashSet();
        Assert.Equal(Ids(Search(plain, "Hvor kan jeg parkere sykkelen?", "dense", rows)).Where(oneIds.Contains), Ids(one)); // exact order within the list

        var info = InProcessSkald.Capture("index", "info", "--index", folder, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        var described = JsonDocument.Parse(info.Stdout).RootElement;
        Assert.Equal(rows, described.GetProperty("rows").GetInt32());
        Assert.Equal(3, described.GetProperty("ivf_lists").GetInt32());
        Assert.Equal(1, described.GetProperty("ivf_probes").GetInt32());
        int smallest = described.GetProperty("ivf_rows_per_list_min").GetInt32(), largest = described.GetProperty("ivf_rows_per_list_max").GetInt32();
        Assert.True(smallest <= described.GetProperty("ivf_rows_per_list_median").GetInt32() && largest >= (rows + 2) / 3, $"{smallest}..{largest} of {rows}");
        Assert.InRange(one.GetArrayLength(), smallest, largest); // one probe returned one whole list
        var table = InProcessSkald.Capture("index", "info", "--index", plain);
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("float32", table.Stdout);
        Assert.Contains("| ivf_lists | 0 |", table.Stdout);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "info", "--index", Path.Combine(folder, "nowhere")), 1, "not a Skald index");

        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder, "--ivf-lists", "some"), 2, "--ivf-lists");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder, "--ivf-probes", "2"), 2, "--ivf-probes needs --ivf-lists");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder, "--ivf-lists", "100000"), 1, "IVF lists need at least as many rows");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", folder, "--query", "x", "--probes", "0"), 2, "--probes");
    }

    [Fact]
    public void ReindexLaysOutTheStoredRowsAnewWithoutTheModel()
    {
        string folder = SampleDocuments.CopyOfIndex(InProcessSkald.Capture, Model, "--language", "nb");
        static string[] Ids(JsonElement hits) => [.. hits.EnumerateArray().Select(h => h.GetProperty("id").GetString()!)];
        var exact = Ids(Search(folder, "Hvor kan jeg parkere sykkelen?", "dense", 8));
        string embeddings = Path.Combine(folder, "embeddings.f32");
        var before = File.ReadAllBytes(embeddings);
        var r = InProcessSkald.Capture("index", "reindex", "--index", folder, "--pq", "8", "--ivf-lists", "2", "--ivf-probes", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("PQ: 8 codes of 8 bits, IVF: 2 lists, 2 probed per search", r.Stderr);
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.Equal((8, 2), (manifest.GetProperty("pq_subspaces").GetInt32(), manifest.GetProperty("ivf_lists").GetInt32()));
        int rows = manifest.GetProperty("rows").GetInt32();
        var all = InProcessSkald.Capture("search", "--index", folder, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "dense", "--top-k", "8",
            "--format", "json", "--rescore-multiplier", rows.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(all.ExitCode == 0, all.Stderr);
        Assert.Equal(exact, Ids(JsonDocument.Parse(all.Stdout).RootElement.GetProperty("results"))); // every list, every row rescored
        var back = InProcessSkald.Capture("index", "reindex", "--index", folder, "-q");
        Assert.True(back.ExitCode == 0, back.Stderr);
        Assert.False(File.Exists(Path.Combine(folder, "pq.bin")) || File.Exists(Path.Combine(folder, "ivf.bin")));
        Assert.Equal(exact, Ids(Search(folder, "Hvor kan jeg parkere sykkelen?", "dense", 8)));
        Assert.Equal(before.Length, new FileInfo(embeddings).Length); // the same rows, grouped by list by the IVF layout

        var narrow = InProcessSkald.Capture("index", "reindex", "--index", folder, "--truncate-dim", "16", "-q");
        Assert.True(narrow.ExitCode == 0, narrow.Stderr);
        var cut = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.Equal((16, 16), (cut.GetProperty("dimension").GetInt32(), cut.GetProperty("truncate_dim").GetInt32()));
        Assert.Equal(cut.GetProperty("rows").GetInt32() * 16L * 4, new FileInfo(embeddings).Length);
        Assert.Equal(8, Search(folder, "Hvor kan jeg parkere sykkelen?", "dense", 8).GetArrayLength()); // the model's 32-d query, cut to 16
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "reindex", "--index", folder, "--truncate-dim", "16"), 1, "below the index's 16");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "reindex", "--index", folder, "--ivf-lists", "100000"), 1, "IVF lists need at least as many rows");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "reindex", "--index", folder, "--pq", "8", "--precision", "int8"), 2, "choose one");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "reindex", "--index", folder, "--hnsw", "8", "--ivf-lists", "2"), 2, "choose one");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "reindex", "--index", Path.Combine(folder, "nowhere")), 1, "not a Skald index");
    }

    [Fact]
    public void DefaultChunksFitWhatTheModelReadsSoTheirEndsAreEmbedded()
    {
        // The fixture reads 64 tokens ("passage: " and [CLS]/[SEP] included); two documents that differ only after
        // the first 64 tokens once had one chunk each, embedded identically (their ends cut off by the model).
        string docs = TestPaths.NewTempDir();
        const string Shared = "Denne håndboken beskriver rutinene for alle ansatte ved kontoret i Bergen, og den gjelder fra første januar. " +
            "Les den nøye før du begynner å jobbe hos oss, og spør lederen din om noe er uklart. Håndboken oppdateres hvert år av personalavdelingen.";
        File.WriteAllText(Path.Combine(docs, "sykkel.txt"), Shared + " Sykkelen kan parkeres i kjelleren under bygg A.");
        File.WriteAllText(Path.Combine(docs, "kantine.txt"), Shared + " Kantinen serverer varm lunsj hver dag klokken elleve.");
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", folder);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("chunks of at most", r.Stderr);
        var encoder = SentenceEncoder.Load(Model);
        foreach (var line in File.ReadAllLines(Path.Combine(folder, "records.jsonl")))
        {
            string text = JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!;
            Assert.True(encoder.Tokenizer.Encode("passage: " + text, true).Ids.Length <= encoder.MaxSeqLength, text);
        }
        var top = Search(folder, "Sykkelen kan parkeres i kjelleren under bygg A.", "dense", 1)[0];
        Assert.EndsWith("sykkel.txt", top.GetProperty("source").GetString());

        var wide = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", folder, "--chunk-tokens", "200");
        Assert.True(wide.ExitCode == 0, wide.Stderr);
        Assert.Contains("dense search sees only the start of longer chunks", wide.Stderr);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", folder,
            "--chunk-tokens", "20", "--overlap-tokens", "20"), 2, "--overlap-tokens (20) must be below --chunk-tokens (20)");

        // A BEIR corpus is one row per document, not chunked: the rows longer than the model reads are counted.
        string beir = BeirFolder.Write($"{{\"_id\":\"long\",\"title\":\"\",\"text\":\"{Shared}\"}}\n{{\"_id\":\"short\",\"title\":\"\",\"text\":\"Kort.\"}}\n", "", null);
        var corpus = InProcessSkald.Capture("index", "build", "--model", Model, "--corpus", beir, "--output", folder);
        Assert.True(corpus.ExitCode == 0, corpus.Stderr);
        Assert.Contains("1 of 2 documents are longer than the 64 tokens the model reads", corpus.Stderr);
        var add = InProcessSkald.Capture("index", "add", "--index", folder, "--documents", docs, "-q"); // chunked as index build would chunk them
        Assert.True(add.ExitCode == 0, add.Stderr);
        foreach (var line in File.ReadAllLines(Path.Combine(folder, "records.jsonl")).Where(l => l.Contains(".txt#c", StringComparison.Ordinal)))
        {
            string text = JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!;
            Assert.True(encoder.Tokenizer.Encode("passage: " + text, true).Ids.Length <= encoder.MaxSeqLength, text);
        }
    }

    [Fact]
    public void AMovedModelSearchesAndAddsWithModelAndAnotherModelIsRefused()
    {
        // An index shipped with a copy of its model (another machine, a container image) is searched with --model DIR.
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var built = InProcessSkald.Capture("index", "build", "--model", model, "--documents", Documents, "--output", folder, "-q");
        Assert.True(built.ExitCode == 0, built.Stderr);
        string before = Search(folder, "Hvor kan jeg parkere sykkelen?", "dense").ToString();
        string moved = Path.Combine(TestPaths.NewTempDir(), "elsewhere");
        Directory.Move(model, moved);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", folder, "--query", "sykkel", "--mode", "dense"), 1,
            "is not there any more", "--model DIR");
        var r = InProcessSkald.Capture("search", "--index", folder, "--model", moved, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "dense",
            "--top-k", "5", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(before, JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").ToString());
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", folder, "--model", TestPaths.FixtureModel("bert-uncased-max"),
            "--query", "sykkel", "--mode", "dense"), 1, "not the model", "files differ");
        string extra = Path.Combine(TestPaths.NewTempDir(), "fjordhest.txt");
        File.WriteAllText(extra, "Fjordhesten Blakken står i stallen bak kontoret.");
        var add = InProcessSkald.Capture("index", "add", "--index", folder, "--model", moved, "--documents", extra, "-q");
        Assert.True(add.ExitCode == 0, add.Stderr);
        Assert.EndsWith("fjordhest.txt#c0", Search(folder, "fjordhesten Blakken", "bm25", 1)[0].GetProperty("id").GetString());
    }

    [Fact]
    public void BadInputGetsOneLine()
    {
        string notIndex = TestPaths.NewTempDir();
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", notIndex, "--query", "x"), 1, "not a Skald index");
        File.WriteAllText(Path.Combine(notIndex, "keep.txt"), "mine");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", notIndex), 1, "not a Skald index");
        Assert.True(File.Exists(Path.Combine(notIndex, "keep.txt")));
        // Checked before the model loads (this one does not exist) or anything is embedded.
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Path.Combine(notIndex, "no-model"), "--documents", Documents,
            "--output", notIndex), 1, "not a Skald index");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Path.Combine(notIndex, "no-model"), "--documents", Documents,
            "--output", Path.Combine(notIndex, "keep.txt")), 1, "is a file, expected a Skald index folder");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--output", Path.Combine(notIndex, "x")), 2, "--documents or --corpus");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", notIndex, "--query", "x", "--mode", "fuzzy"), 2);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "delete", "--index", notIndex), 2, "--id or --source");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output",
            Path.Combine(notIndex, "y"), "--language", "norwegian"), 2, "--language norwegian", "nb, nn, da, sv");
        Assert.False(Directory.Exists(Path.Combine(notIndex, "y")));
    }

    [Fact]
    public void AModelThatNowMakesOtherVectorsIsNamedNotAnInternalError()
    {
        // The index keeps its model's folder; that folder now holds a 64-value decoder instead of the 32-value BERT.
        string model = Path.Combine(TestPaths.NewTempDir(), "model");
        TestPaths.CopyFolder(Model, model);
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", model, "--documents", Documents, "--output", folder, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Directory.Delete(model, recursive: true);
        TestPaths.CopyFolder(TestPaths.FixtureModel("decoder-qwen2"), model);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", folder, "--query", "sykkel", "--mode", "dense"), 1,
            "the model has changed since", "rebuild"); // its recorded fingerprint tells first
        // An index written before fingerprints were recorded: the vectors' width tells.
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "index.json")))!.AsObject();
        Assert.True(manifest.Remove("model_sha256") && manifest.Remove("model_files_stamp"));
        File.WriteAllText(Path.Combine(folder, "index.json"), manifest.ToJsonString());
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", folder, "--query", "sykkel", "--mode", "dense"), 1,
            "32-value vectors", "now makes 64", "rebuild");
        Assert.Equal(0, InProcessSkald.Capture("search", "--index", folder, "--query", "sykkel", "--mode", "bm25").ExitCode);
    }

    private static float Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return (float)(dot / Math.Sqrt(na * nb));
    }
}
