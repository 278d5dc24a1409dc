using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="DocumentRoot"/>: which folder an index's record paths are relative to, and how records written with full
/// paths are made relative (the ids and documents that start with the source path, not a BEIR id).
/// </summary>
public sealed class DocumentRootTests
{
    [Fact]
    public void TheRootIsTheDeepestFolderHoldingEveryInput()
    {
        string top = Directory.CreateTempSubdirectory("skald-root").FullName;
        Directory.CreateDirectory(Path.Combine(top, "docs", "hr"));
        Directory.CreateDirectory(Path.Combine(top, "docs", "it"));
        File.WriteAllText(Path.Combine(top, "docs", "hr", "a.txt"), "a");
        Assert.Equal(Path.Combine(top, "docs"), DocumentRoot.Of([Path.Combine(top, "docs")]));
        Assert.Equal(Path.Combine(top, "docs"), DocumentRoot.Of([Path.Combine(top, "docs") + "/"]));
        Assert.Equal(Path.Combine(top, "docs", "hr"), DocumentRoot.Of([Path.Combine(top, "docs", "hr", "a.txt")])); // a file: its folder
        Assert.Equal(Path.Combine(top, "docs"), DocumentRoot.Of([Path.Combine(top, "docs", "hr", "a.txt"), Path.Combine(top, "docs", "it")]));
        Assert.Equal("/", DocumentRoot.Of(["/", "/tmp"]));
        // a docs2 folder beside docs is not inside it, though its name starts the same
        Assert.Equal(top, DocumentRoot.Of([Path.Combine(top, "docs"), Path.Combine(top, "docs2")]));
    }

    [Fact]
    public void AddingKeepsARootThatStillExistsElseTakesTheInputsOwn()
    {
        string top = Directory.CreateTempSubdirectory("skald-root").FullName;
        string docs = Directory.CreateDirectory(Path.Combine(top, "docs")).FullName, moved = Directory.CreateDirectory(Path.Combine(top, "moved")).FullName;
        Directory.CreateDirectory(Path.Combine(docs, "hr"));
        Assert.Equal(docs, DocumentRoot.For(docs, [Path.Combine(docs, "hr")], null)); // inside it
        Assert.Equal(docs, DocumentRoot.For(docs, [moved], null)); // outside, but the recorded folder is still there: ../moved
        Assert.Equal(moved, DocumentRoot.For(Path.Combine(top, "gone"), [moved], null)); // the recorded folder moved away
        Assert.Equal(moved, DocumentRoot.For(null, [moved], null));
        Assert.Equal(top, DocumentRoot.For(docs, [moved], top)); // given
        Assert.Contains("not inside the documents root", Assert.Throws<EvaluationException>(() => DocumentRoot.For(null, [moved], docs)).Message);
        Assert.Contains("docs2", Assert.Throws<EvaluationException>(() => DocumentRoot.For(null, [moved], Path.Combine(top, "docs2"))).Message);
        File.WriteAllText(Path.Combine(moved, "a.txt"), "a");
        Assert.Contains("a file; the documents root is a folder", Assert.Throws<EvaluationException>(() => DocumentRoot.For(null, [Path.Combine(moved, "a.txt")], Path.Combine(moved, "a.txt"))).Message);
    }

    [Fact]
    public void FullPathRecordsBecomeRelativeAndOthersStayAsTheyAre()
    {
        var chunk = new IndexRecord("/srv/docs/hr/a.txt#c3", "/srv/docs/hr/a.txt", "/srv/docs/hr/a.txt", 0, 1, "", "t");
        Assert.Equal(chunk with { Id = "hr/a.txt#c3", Document = "hr/a.txt", Source = "hr/a.txt" }, DocumentRoot.Relative(chunk, "/srv/docs"));
        var row = new IndexRecord("/srv/docs/rows.jsonl:12#c0", "/srv/docs/rows.jsonl:12", "/srv/docs/rows.jsonl", 0, 1, "", "t");
        Assert.Equal(("rows.jsonl:12#c0", "rows.jsonl:12", "rows.jsonl"), DocumentRoot.Relative(row, "/srv/docs") is var r ? (r.Id, r.Document, r.Source) : default);
        var beir = new IndexRecord("d7", "d7", "/srv/beir/corpus.jsonl", 0, 1, "", "t");
        Assert.Equal(beir with { Source = "corpus.jsonl" }, DocumentRoot.Relative(beir, "/srv/beir"));
        var outside = new IndexRecord("/srv/x.txt#c0", "/srv/x.txt", "/srv/x.txt", 0, 1, "", "t");
        Assert.Equal("../x.txt#c0", DocumentRoot.Relative(outside, "/srv/docs").Id);
        var relative = chunk with { Id = "hr/a.txt#c3", Document = "hr/a.txt", Source = "hr/a.txt" };
        Assert.Same(relative, DocumentRoot.Relative(relative, "/elsewhere"));
        Assert.Equal("/srv/docs/hr/a.txt", DocumentRoot.Full("/srv/docs", "hr/a.txt"));
        Assert.Equal("/srv/x.txt", DocumentRoot.Full("/srv/docs", "../x.txt"));
        Assert.Equal("/old/a.txt", DocumentRoot.Full("/srv/docs", "/old/a.txt"));
        Assert.Equal("hr/a.txt", DocumentRoot.Full(null, "hr/a.txt"));
        // an index of full paths: the deepest folder holding every source; the manifest's root when it has one
        var manifest = new IndexManifest();
        Assert.Equal("/srv/docs", DocumentRoot.Recorded(manifest, [chunk, row]));
        Assert.Null(DocumentRoot.Recorded(manifest, [relative]));
        Assert.Equal("/here", DocumentRoot.Recorded(manifest with { DocumentsRoot = "/here" }, [chunk]));
    }

    [Fact]
    public void ARecordIsRenamedUnderAnotherRootOfTheSameFile()
    {
        var chunk = new IndexRecord("hr/a.txt#c3", "hr/a.txt", "hr/a.txt", 0, 1, "", "t");
        // /srv/docs/hr/a.txt under /srv: docs/hr/a.txt; under /srv/docs/hr: a.txt; under /srv/other: ../docs/hr/a.txt
        Assert.Equal(chunk with { Id = "docs/hr/a.txt#c3", Document = "docs/hr/a.txt", Source = "docs/hr/a.txt" }, DocumentRoot.Rebased(chunk, "/srv/docs", "/srv"));
        Assert.Equal(chunk with { Id = "a.txt#c3", Document = "a.txt", Source = "a.txt" }, DocumentRoot.Rebased(chunk, "/srv/docs", "/srv/docs/hr"));
        Assert.Equal("../docs/hr/a.txt#c3", DocumentRoot.Rebased(chunk, "/srv/docs", "/srv/other").Id);
        var row = new IndexRecord("rows.jsonl:12#c0", "rows.jsonl:12", "rows.jsonl", 0, 1, "", "t");
        Assert.Equal(("docs/rows.jsonl:12#c0", "docs/rows.jsonl:12", "docs/rows.jsonl"), DocumentRoot.Rebased(row, "/srv/docs", "/srv") is var r ? (r.Id, r.Document, r.Source) : default);
        var beir = new IndexRecord("d7", "d7", "corpus.jsonl", 0, 1, "", "t");
        Assert.Equal(beir with { Source = "beir/corpus.jsonl" }, DocumentRoot.Rebased(beir, "/srv/beir", "/srv"));
        Assert.Same(chunk, DocumentRoot.Rebased(chunk, "/srv/docs", "/srv/docs"));
        var full = new IndexRecord("/srv/docs/hr/a.txt#c0", "/srv/docs/hr/a.txt", "/srv/docs/hr/a.txt", 0, 1, "", "t");
        Assert.Equal("docs/hr/a.txt#c0", DocumentRoot.Rebased(full, "/srv/docs", "/srv").Id); // a full path: from wherever it was recorded
    }

    [Fact]
    public void AMovedFoldersNewPlaceIsFoundFromOneOfItsFilesOrSubfolders()
    {
        string top = Directory.CreateTempSubdirectory("skald-root").FullName;
        string moved = Path.Combine(top, "moved"), gone = Path.Combine(top, "docs");
        Directory.CreateDirectory(Path.Combine(moved, "hr", "2024"));
        File.WriteAllText(Path.Combine(moved, "hr", "2024", "a.txt"), "a");
        File.WriteAllText(Path.Combine(moved, "b.txt"), "b");
        string[] known = ["hr/2024/a.txt", "b.txt", "../outside.txt"];
        Assert.Equal(moved, DocumentRoot.For(gone, [Path.Combine(moved, "hr", "2024", "a.txt")], null, known)); // one file of it
        Assert.Equal(moved, DocumentRoot.For(gone, [Path.Combine(moved, "hr")], null, known)); // a subfolder
        Assert.Equal(moved, DocumentRoot.For(gone, [moved], null, known)); // the folder itself
        Assert.Equal(moved, DocumentRoot.For(gone, [Path.Combine(moved, "hr") + "/"], null, [Path.Combine(gone, "hr", "2024", "a.txt")])); // an index of full paths
        // nothing the index holds among the inputs: their own root (b.txt is in the moved folder, but not in hr)
        Assert.Equal(Path.Combine(moved, "hr"), DocumentRoot.For(gone, [Path.Combine(moved, "hr")], null, ["x/y.txt", "b.txt"]));
        Assert.Equal(Path.Combine(moved, "hr"), DocumentRoot.For(gone, [Path.Combine(moved, "hr")], null, null));
        // a name at the old root that a subfolder's file shares (b.txt, hr/b.txt): the folder where most added files are known wins
        File.WriteAllText(Path.Combine(moved, "hr", "b.txt"), "hr b");
        Assert.Equal(moved, DocumentRoot.For(gone, [Path.Combine(moved, "hr")], null, ["b.txt", "hr/b.txt", "hr/2024/a.txt"]));
        Assert.Equal(Path.Combine(moved, "hr"), DocumentRoot.For(gone, [Path.Combine(moved, "hr")], null, ["b.txt", "2024/a.txt", "hr/b.txt"]));
    }

    [Fact]
    public void ARelativePathLeadsBackToTheSameFileAndTwoFilesNeverShareOne()
    {
        const string root = "/srv/docs";
        // on Linux a backslash is a character of a file's name: "a\\b.txt" is not the file b.txt in a folder a
        string[] files = [Path.GetFullPath(Path.Join(root, "a", "b.txt")), Path.GetFullPath(Path.Join(root, "a\\b.txt")), Path.GetFullPath("/srv/x y.txt")];
        var relative = files.Select(f => DocumentRoot.Relative(root, f)).ToArray();
        Assert.Equal(files.Distinct().Count(), relative.Distinct().Count());
        Assert.All(files, f => Assert.Equal(f, DocumentRoot.Full(root, DocumentRoot.Relative(root, f))));
        Assert.Equal("a/b.txt", DocumentRoot.Relative(root, files[0]));
    }

    [Fact]
    public void ANewRootRenamesTheRowsOnlyOfFilesStillWhereTheySayInTheSameTree()
    {
        string top = Directory.CreateTempSubdirectory("skald-root").FullName;
        string docs = Path.Combine(top, "docs");
        Directory.CreateDirectory(Path.Combine(docs, "hr"));
        File.WriteAllText(Path.Combine(docs, "hr", "a.txt"), "a"); // still there; hr/gone.txt is not
        IndexRecord[] rows = [new("hr/a.txt#c0", "hr/a.txt", "hr/a.txt", 0, 1, "", "t"), new("hr/gone.txt#c0", "hr/gone.txt", "hr/gone.txt", 0, 1, "", "t")];
        static string[] Ids(IEnumerable<IndexRecord> records) => [.. records.Select(r => r.Id)];
        Assert.Equal(["docs/hr/a.txt#c0", "hr/gone.txt#c0"], Ids(DocumentRoot.Rerooted(rows, docs, top))); // wider
        Assert.Equal(["a.txt#c0", "hr/gone.txt#c0"], Ids(DocumentRoot.Rerooted(rows, docs, Path.Combine(docs, "hr")))); // narrower
        Assert.Equal(Ids(rows), Ids(DocumentRoot.Rerooted(rows, docs, Path.Combine(top, "copy")))); // beside: a copy
        Assert.Equal(Ids(rows), Ids(DocumentRoot.Rerooted(rows, Path.Combine(top, "moved-away"), top))); // the old root is gone
    }
}
