using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skald.Cli.Tests;

/// <summary>
/// A documents folder named through a symbolic link and by its real path is one folder: <c>index add</c> of either
/// replaces the rows the other added instead of adding them again, the index records the real path as its root (an
/// index that recorded a link still recognises its documents), and <c>index delete --source</c> takes the link, the
/// real path or a Windows-style relative path. Documents in separate trees are refused unless the root is given.
/// </summary>
public sealed class IndexDocumentLinksCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    // The real folder (links resolved) with a.txt and sub/b.txt, and a link to it beside it.
    private static (string Docs, string Link) LinkedDocuments()
    {
        string at = TestPaths.NewTempDir();
        string docs = Path.Combine(at, "docs");
        Directory.CreateDirectory(Path.Combine(docs, "sub"));
        File.WriteAllText(Path.Combine(docs, "a.txt"), "Sykkelen kan parkeres i kjelleren under bygg A.");
        File.WriteAllText(Path.Combine(docs, "sub", "b.txt"), "Kantinen serverer varm lunsj hver dag klokken elleve.");
        string link = Path.Combine(at, "current");
        Directory.CreateSymbolicLink(link, docs);
        return (Skald.Retrieval.Index.RealPath.Of(docs), link);
    }

    private static string Build(string documents)
    {
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", documents, "--output", index, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return index;
    }

    private static void Add(string index, string documents)
    {
        var r = InProcessSkald.Capture("index", "add", "--index", index, "--documents", documents, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    private static List<JsonElement> Records(string index) =>
        [.. File.ReadAllLines(Path.Combine(index, "records.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)];

    private static string[] Ids(string index) => [.. Records(index).Select(r => r.GetProperty("id").GetString()!).Order(StringComparer.Ordinal)];

    private static string Root(string index) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(index, "index.json"))).RootElement.GetProperty("documents_root").GetString()!;

    private static string TextOf(string index, string id) =>
        Records(index).Single(r => r.GetProperty("id").GetString() == id).GetProperty("text").GetString()!;

    [Fact]
    public void TheFolderAddedThroughALinkReplacesItsRows()
    {
        var (docs, link) = LinkedDocuments();
        string index = Build(docs);
        File.WriteAllText(Path.Combine(docs, "sub", "b.txt"), "Kantinen serverer suppe på fredager.");
        Add(index, link);
        Assert.Equal(["a.txt#c0", "sub/b.txt#c0"], Ids(index)); // not ../current/a.txt beside a.txt
        Assert.Equal("Kantinen serverer suppe på fredager.", TextOf(index, "sub/b.txt#c0"));
        Assert.Equal(docs, Root(index));
        Add(index, Path.Combine(link, "sub", "b.txt")); // one file through the link
        Assert.Equal(["a.txt#c0", "sub/b.txt#c0"], Ids(index));
    }

    [Fact]
    public void AnIndexBuiltThroughALinkRecordsTheRealFolder()
    {
        var (docs, link) = LinkedDocuments();
        string index = Build(link);
        Assert.Equal(docs, Root(index));
        Add(index, docs);
        Assert.Equal(["a.txt#c0", "sub/b.txt#c0"], Ids(index));
    }

    [Fact]
    public void AnIndexInsideTheDocumentsNamedThroughTheLinkIsNotReadAsDocuments()
    {
        var (docs, link) = LinkedDocuments();
        string index = Path.Combine(link, "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", link, "--output", index, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Add(index, link); // records.jsonl inside it is no document
        Assert.Equal(["a.txt#c0", "sub/b.txt#c0"], Ids(index));
        Assert.Equal(docs, Root(index));
    }

    [Fact]
    public void AnIndexThatRecordedALinkRecognisesTheRealFolder()
    {
        var (docs, link) = LinkedDocuments();
        string index = Build(docs);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(index, "index.json")))!.AsObject();
        manifest["documents_root"] = link; // as Skald recorded a folder given through a link before roots were resolved
        File.WriteAllText(Path.Combine(index, "index.json"), manifest.ToJsonString());
        File.WriteAllText(Path.Combine(docs, "a.txt"), "Sykler parkeres nå ved inngangen.");
        Add(index, docs);
        Assert.Equal(["a.txt#c0", "sub/b.txt#c0"], Ids(index));
        Assert.Equal("Sykler parkeres nå ved inngangen.", TextOf(index, "a.txt#c0"));
        Assert.Equal(docs, Root(index));
    }

    [Fact]
    public void DeleteBySourceTakesTheLinkOrAWindowsStylePath()
    {
        var (docs, link) = LinkedDocuments();
        string index = Build(docs);
        var r = InProcessSkald.Capture("index", "delete", "--index", index, "--source", Path.Combine(link, "a.txt"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = InProcessSkald.Capture("index", "delete", "--index", index, "--source", "sub\\b.txt");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var records = Records(index);
        var deleted = File.ReadAllLines(Path.Combine(index, "tombstones.txt")).Select(int.Parse).Select(row => records[row].GetProperty("id").GetString());
        Assert.Equal(["a.txt#c0", "sub/b.txt#c0"], deleted.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ASearchPatternWrittenWithBackslashesMatches()
    {
        var (docs, _) = LinkedDocuments();
        string index = Build(docs);
        foreach (string pattern in new[] { "sub\\*", "*\\sub\\b.txt" })
        {
            var r = InProcessSkald.Capture("search", "--index", index, "--query", "kantinen", "--mode", "bm25", "--format", "json", "--source", pattern);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal(["sub/b.txt"], JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray().Select(h => h.GetProperty("source").GetString()));
        }
    }

    [Fact]
    public void DocumentsInSeparateTreesAreRefusedUnlessTheRootIsGiven()
    {
        var (docs, _) = LinkedDocuments();
        // a second tree beside the temporary folder's: Linux's shared memory folder, which shares only / with it
        string other = Path.Combine("/dev/shm", "skald-tree-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(other);
        try
        {
            string note = Path.Combine(other, "c.txt");
            File.WriteAllText(note, "Toget til Bergen går klokken åtte.");
            string index = Path.Combine(TestPaths.NewTempDir(), "idx");
            SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", $"{docs},{note}", "--output", index, "-q"),
                1, "separate trees", "--documents-root");
            Assert.False(Directory.Exists(index));
            var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", $"{docs},{note}", "--documents-root", "/", "--output", index, "-q");
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal("/", Root(index));
            Assert.Contains(RealPath(note)[1..] + "#c0", Ids(index));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    private static string RealPath(string path) => Skald.Retrieval.Index.RealPath.Of(path);
}
