using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="DocumentRoot"/> names documents by their real place: a documents folder (or file) given through a link
/// has the root and paths of the folder it links to, whichever name the index was built and added with; documents in
/// separate trees, which share no folder below the filesystem's root, are refused unless the root is given.
/// </summary>
public sealed class DocumentRootTreesTests
{
    private static (string Docs, string Link) LinkedDocs()
    {
        string root = Path.GetFullPath(Directory.CreateTempSubdirectory("skald-roots").FullName);
        string docs = Path.Combine(root, "docs");
        Directory.CreateDirectory(Path.Combine(docs, "hr"));
        File.WriteAllText(Path.Combine(docs, "hr", "ferie.md"), "Ferie");
        string link = Path.Combine(root, "current");
        Directory.CreateSymbolicLink(link, docs);
        return (RealPath.Of(docs), link);
    }

    [Fact]
    public void AFolderGivenThroughALinkIsTheFolderItLinksTo()
    {
        var (docs, link) = LinkedDocs();
        Assert.Equal(docs, DocumentRoot.Of([link]));
        Assert.Equal(docs, DocumentRoot.Of([Path.Combine(link, "hr", "ferie.md"), docs]));
        Assert.Equal(docs, DocumentRoot.For(docs, [link], null)); // recorded real, added through the link
        Assert.Equal(docs, DocumentRoot.For(link, [docs], null)); // recorded through the link, added by the real path
        Assert.Equal(docs, DocumentRoot.For(null, [Path.Combine(link, "hr")], link));
        Assert.Equal("hr/ferie.md", DocumentRoot.Relative(DocumentRoot.For(docs, [link], null), RealPath.Of(Path.Combine(link, "hr", "ferie.md"))));
    }

    [Fact]
    public void RowsRecordedUnderALinkedRootKeepTheirPathsUnderTheRealOne()
    {
        var (docs, link) = LinkedDocs();
        var record = new IndexRecord("hr/ferie.md#c0", "hr/ferie.md", "hr/ferie.md", 0, 5, "", "Ferie");
        Assert.Equal([record], DocumentRoot.Rerooted([record], link, docs));
        var wider = DocumentRoot.Rerooted([record], link, Path.GetDirectoryName(docs)!); // a wider root: named under it
        Assert.Equal("docs/hr/ferie.md#c0", Assert.Single(wider).Id);
    }

    [Theory]
    [InlineData("/srv/a/docs", "/home/b/notes/x.md")]
    [InlineData("/srv/a/docs/x.md", "/home/b/y.md")]
    public void DocumentsInSeparateTreesAreRefusedUnlessTheRootIsGiven(string first, string second)
    {
        var e = Assert.Throws<EvaluationException>(() => DocumentRoot.Of([first, second]));
        Assert.Contains("separate trees", e.Message);
        Assert.Contains("--documents-root", e.Message);
        Assert.Contains("/srv/a", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<EvaluationException>(() => DocumentRoot.For(null, [first, second], null));
        Assert.Throws<EvaluationException>(() => DocumentRoot.For("/gone/root", [first, second], null)); // the recorded root moved away
        Assert.Equal("/", DocumentRoot.For(null, [first, second], "/"));
        Assert.Equal("/srv", DocumentRoot.Of(["/srv/a/docs", "/srv/b/notes/x.md"])); // one tree: its deepest common folder
        Assert.Equal("/", DocumentRoot.Of(["/", "/srv/a/docs"])); // the root itself given
        Assert.Equal("/", DocumentRoot.Of(["/x.md", "/y.md"])); // files in / itself
    }
}
