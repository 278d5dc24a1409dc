using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skald.Cli.Tests;

/// <summary>
/// An index identifies its documents by their paths under the documents root it records, so a documents folder that
/// was moved or renamed and is added again replaces its rows instead of duplicating them; an index written with full
/// paths (before roots were recorded) still searches, and adding its moved folder recognises its documents too.
/// </summary>
public sealed class IndexDocumentRootCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    // Four short documents (one chunk each): a.txt, sub/b.txt, and two rows of notes.jsonl.
    private static string Documents()
    {
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(Path.Combine(docs, "sub"));
        File.WriteAllText(Path.Combine(docs, "a.txt"), "Sykkelen kan parkeres i kjelleren under bygg A.");
        File.WriteAllText(Path.Combine(docs, "sub", "b.txt"), "Kantinen serverer varm lunsj hver dag klokken elleve.");
        File.WriteAllLines(Path.Combine(docs, "notes.jsonl"),
        [
            "{\"text\": \"Ferie søkes i personalportalen innen første mars.\", \"tenant\": \"oslo\"}",
            "{\"text\": \"Nøkkelkort bestilles hos resepsjonen i første etasje.\", \"tenant\": \"bergen\"}",
        ]);
        return docs;
    }

    private static string BuildIndex(string docs)
    {
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", index, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return index;
    }

    private static List<JsonElement> Records(string index) =>
        [.. File.ReadAllLines(Path.Combine(index, "records.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)];

    private static string Text(List<JsonElement> records, string document) =>
        records.Single(r => r.GetProperty("document").GetString() == document).GetProperty("text").GetString()!;

    private static string Moved(string docs)
    {
        string moved = Path.Combine(TestPaths.NewTempDir(), "renamed-docs");
        Directory.Move(docs, moved);
        return moved;
    }

    private static void Add(string index, string documents)
    {
        var r = InProcessSkald.Capture("index", "add", "--index", index, "--documents", documents, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    // After the move: b.txt changed, c.txt new, the others as they were; one row each, no id twice.
    private static void AssertRecognised(string index, string moved, string[] before)
    {
        var records = Records(index);
        string[] expected = ["a.txt#c0", "c.txt#c0", "notes.jsonl:1#c0", "notes.jsonl:2#c0", "sub/b.txt#c0"];
        Assert.Equal(expected, records.Select(r => r.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(expected.Except(["c.txt#c0"]), before.Order(StringComparer.Ordinal)); // every old document re-added: all replaced
        Assert.Equal("Kantinen serverer suppe på fredager.", Text(records, "sub/b.txt"));
        Assert.Equal("Toget til Bergen går klokken åtte.", Text(records, "c.txt"));
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(index, "index.json"))).RootElement;
        Assert.Equal(Path.GetFullPath(moved), manifest.GetProperty("documents_root").GetString());
        Assert.Equal(5, manifest.GetProperty("rows").GetInt32());
        Assert.Empty(File.ReadAllText(Path.Combine(index, "tombstones.txt")).Trim());
        var info = InProcessSkald.Capture("index", "info", "--index", index, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Equal(Path.GetFullPath(moved), JsonDocument.Parse(info.Stdout).RootElement.GetProperty("documents_root").GetString());
    }

    private static void ChangeAndExtend(string moved)
    {
        File.WriteAllText(Path.Combine(moved, "sub", "b.txt"), "Kantinen serverer suppe på fredager.");
        File.WriteAllText(Path.Combine(moved, "c.txt"), "Toget til Bergen går klokken åtte.");
    }

    [Fact]
    public void AMovedFolderAddedAgainReplacesItsRowsInsteadOfDuplicatingThem()
    {
        string docs = Documents();
        string index = BuildIndex(docs);
        var built = Records(index);
        Assert.Equal(["a.txt", "notes.jsonl", "notes.jsonl", "sub/b.txt"], built.Select(r => r.GetProperty("source").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(["a.txt#c0", "notes.jsonl:1#c0", "notes.jsonl:2#c0", "sub/b.txt#c0"], built.Select(r => r.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(Path.GetFullPath(docs), JsonDocument.Parse(File.ReadAllText(Path.Combine(index, "index.json"))).RootElement.GetProperty("documents_root").GetString());

        string moved = Moved(docs);
        ChangeAndExtend(moved);
        Add(index, moved);
        AssertRecognised(index, moved, [.. built.Select(r => r.GetProperty("id").GetString()!)]);

        // A source pattern matches the path as recorded or the file's full path under the root.
        foreach (string pattern in new[] { "sub/*", "*/sub/*", Path.Combine(moved, "sub", "*") })
        {
            var r = InProcessSkald.Capture("search", "--index", index, "--query", "kantinen", "--mode", "bm25", "--format", "json", "--source", pattern);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal(["sub/b.txt"], JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray().Select(h => h.GetProperty("source").GetString()));
        }
        // Deleting by source: the file's path, or its source as recorded.
        Assert.Equal(0, InProcessSkald.Capture("index", "delete", "--index", index, "--source", Path.Combine(moved, "a.txt")).ExitCode);
        Assert.Equal(0, InProcessSkald.Capture("index", "delete", "--index", index, "--source", "c.txt").ExitCode);
        var deleted = File.ReadAllLines(Path.Combine(index, "tombstones.txt")).Select(int.Parse).Select(row => Records(index)[row].GetProperty("id").GetString());
        Assert.Equal(["a.txt#c0", "c.txt#c0"], deleted.Order(StringComparer.Ordinal));

        // Adding one file of the folder, from where it lies now: its path under the recorded root.
        File.WriteAllText(Path.Combine(moved, "sub", "b.txt"), "Kantinen er stengt i juli.");
        Add(index, Path.Combine(moved, "sub", "b.txt"));
        var records = Records(index);
        Assert.Equal(["notes.jsonl:1#c0", "notes.jsonl:2#c0", "sub/b.txt#c0"], records.Select(r => r.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal("Kantinen er stengt i juli.", Text(records, "sub/b.txt"));
    }

    [Fact]
    public void AnIndexOfFullPathsStillSearchesAndAddingItsMovedFolderRecognisesItsDocuments()
    {
        string docs = Documents();
        string index = BuildIndex(docs);
        // What Skald wrote before roots were recorded: full paths in ids, documents and sources, and no documents_root.
        string full = Path.GetFullPath(docs);
        var lines = File.ReadAllLines(Path.Combine(index, "records.jsonl")).Select(l =>
        {
            var o = JsonNode.Parse(l)!.AsObject();
            foreach (string key in new[] { "id", "document", "source" }) o[key] = full + "/" + o[key]!.GetValue<string>();
            return o.ToJsonString();
        });
        File.WriteAllLines(Path.Combine(index, "records.jsonl"), lines);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(index, "index.json")))!.AsObject();
        Assert.True(manifest.Remove("documents_root"));
        File.WriteAllText(Path.Combine(index, "index.json"), manifest.ToJsonString());
        var old = Records(index);

        var r = InProcessSkald.Capture("search", "--index", index, "--query", "Hvor kan jeg parkere sykkelen?", "--format", "json", "--source", "*/sub/*");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal([full + "/sub/b.txt"], JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray().Select(h => h.GetProperty("source").GetString()));
        var dense = InProcessSkald.Capture("search", "--index", index, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "dense", "--top-k", "1", "--format", "json");
        Assert.True(dense.ExitCode == 0, dense.Stderr);
        Assert.Equal(full + "/a.txt#c0", JsonDocument.Parse(dense.Stdout).RootElement.GetProperty("results")[0].GetProperty("id").GetString());

        string moved = Moved(docs);
        ChangeAndExtend(moved);
        Add(index, moved); // the old rows are taken relative to the folder that held them all
        AssertRecognised(index, moved, [.. old.Select(r => r.GetProperty("id").GetString()![(full.Length + 1)..])]);
    }

    [Fact]
    public void AGivenDocumentsRootMustHoldTheDocuments()
    {
        string docs = Documents();
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Path.Combine(docs, "sub"), "--documents-root", docs, "--output", index, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["sub/b.txt#c0"], Records(index).Select(x => x.GetProperty("id").GetString()));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "add", "--index", index, "--documents", Path.Combine(docs, "a.txt"),
            "--documents-root", Path.Combine(docs, "sub")), 1, "a.txt", "not inside the documents root");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "add", "--index", index, "--documents", docs,
            "--documents-root", Path.Combine(docs, "nowhere")), 1, "nowhere", "documents root folder not found");
    }

    [Fact]
    public void AWiderRootGivenWhileTheOldOneIsStillThereRenamesTheRowsUnderIt()
    {
        string docs = Documents();
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Path.Combine(docs, "sub"), "--output", index, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["b.txt#c0"], Records(index).Select(x => x.GetProperty("id").GetString())); // root docs/sub
        r = InProcessSkald.Capture("index", "add", "--index", index, "--documents", Path.Combine(docs, "a.txt"), "--documents-root", docs, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // docs/sub/b.txt did not move: under the root docs it is sub/b.txt, beside the new a.txt
        Assert.Equal(["a.txt#c0", "sub/b.txt#c0"], Records(index).Select(x => x.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(Path.GetFullPath(docs), JsonDocument.Parse(File.ReadAllText(Path.Combine(index, "index.json"))).RootElement.GetProperty("documents_root").GetString());
        File.WriteAllText(Path.Combine(docs, "sub", "b.txt"), "Kantinen serverer suppe på fredager.");
        Add(index, Path.Combine(docs, "sub")); // replaces its row rather than adding a second one
        var records = Records(index);
        Assert.Equal(["a.txt#c0", "sub/b.txt#c0"], records.Select(x => x.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal("Kantinen serverer suppe på fredager.", Text(records, "sub/b.txt"));
        r = InProcessSkald.Capture("index", "delete", "--index", index, "--source", Path.Combine(docs, "sub", "b.txt"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["sub/b.txt#c0"], File.ReadAllLines(Path.Combine(index, "tombstones.txt")).Select(int.Parse).Select(row => records[row].GetProperty("id").GetString()));
    }

    [Fact]
    public void OneFileOfAMovedFolderAddedAloneIsRecognisedUnderTheFoldersNewPlace()
    {
        string docs = Documents();
        string index = BuildIndex(docs);
        string moved = Moved(docs);
        File.WriteAllText(Path.Combine(moved, "sub", "b.txt"), "Kantinen serverer suppe på fredager.");
        Add(index, Path.Combine(moved, "sub", "b.txt")); // no --documents-root: the moved folder is found from the path sub/b.txt
        var records = Records(index);
        Assert.Equal(["a.txt#c0", "notes.jsonl:1#c0", "notes.jsonl:2#c0", "sub/b.txt#c0"], records.Select(r => r.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal("Kantinen serverer suppe på fredager.", Text(records, "sub/b.txt"));
        Assert.Equal(Path.GetFullPath(moved), JsonDocument.Parse(File.ReadAllText(Path.Combine(index, "index.json"))).RootElement.GetProperty("documents_root").GetString());
    }

    [Fact]
    public void ACopyNamedAsTheRootWhileTheOriginalIsStillThereReplacesTheOriginalsRows()
    {
        string docs = Documents();
        string index = BuildIndex(docs);
        string copy = TestPaths.CopyFolder(docs, Path.Combine(TestPaths.NewTempDir(), "checkout"));
        ChangeAndExtend(copy);
        var r = InProcessSkald.Capture("index", "add", "--index", index, "--documents", copy, "--documents-root", copy, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // the copy's documents have the paths the originals had: replaced, not added beside them as ../docs/...
        AssertRecognised(index, copy, ["a.txt#c0", "notes.jsonl:1#c0", "notes.jsonl:2#c0", "sub/b.txt#c0"]);
    }

    [Fact]
    public void DocumentsMovedIntoASubfolderOfTheirRootAreRecognisedThere()
    {
        string docs = Documents();
        string index = BuildIndex(docs);
        // reorganised: everything moves down into docs/v1, so the recorded root docs is still there, but empty of them
        string v1 = Path.Combine(docs, "v1");
        Directory.CreateDirectory(v1);
        foreach (string entry in Directory.GetFileSystemEntries(docs).Where(e => e != v1))
        {
            if (Directory.Exists(entry)) Directory.Move(entry, Path.Combine(v1, Path.GetFileName(entry)));
            else File.Move(entry, Path.Combine(v1, Path.GetFileName(entry)));
        }
        ChangeAndExtend(v1);
        var r = InProcessSkald.Capture("index", "add", "--index", index, "--documents", v1, "--documents-root", v1, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertRecognised(index, v1, ["a.txt#c0", "notes.jsonl:1#c0", "notes.jsonl:2#c0", "sub/b.txt#c0"]);
    }
}
