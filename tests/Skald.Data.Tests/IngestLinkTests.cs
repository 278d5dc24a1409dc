using Skald.Data.Ingest;

namespace Skald.Data.Tests;

/// <summary>
/// Folders of documents reached through links: each real folder is read once, so a link back to a folder above it (a
/// loop) or a folder given twice adds no copies of its documents; what was left out is listed as skipped.
/// </summary>
public sealed class IngestLinkTests
{
    private readonly string root = TestPaths.NewTempDir();

    private string Docs()
    {
        string docs = Path.Combine(root, "docs");
        Directory.CreateDirectory(Path.Combine(docs, "nested"));
        File.WriteAllText(Path.Combine(docs, "a.txt"), "Toget går klokka sju hver morgen fra Oslo sentralstasjon.\n");
        File.WriteAllText(Path.Combine(docs, "nested", "b.md"), "Båtene seiler på fjorden om sommeren når det er varmt.\n");
        return docs;
    }

    [Fact]
    public void ALinkLoopIsReadOnceAndListedAsSkipped()
    {
        string docs = Docs();
        string loop = Path.Combine(docs, "nested", "loop");
        Directory.CreateSymbolicLink(loop, "..");
        var result = DocumentIngest.Ingest([docs], new ChunkOptions());
        Assert.Equal([Path.Combine(docs, "a.txt"), Path.Combine(docs, "nested", "b.md")], result.Documents.Select(d => d.Source));
        var skipped = Assert.Single(result.Skipped);
        Assert.Equal(loop, skipped.Path);
        Assert.Equal($"a link to {docs}, a folder read already", skipped.Reason);
    }

    [Fact]
    public void ALinkToAnotherFolderIsReadAndAFolderGivenTwiceOnce()
    {
        string docs = Docs();
        string elsewhere = Path.Combine(root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        File.WriteAllText(Path.Combine(elsewhere, "c.txt"), "Billetten koster hundre kroner og kan kjøpes på nett.\n");
        Directory.CreateSymbolicLink(Path.Combine(docs, "linked"), elsewhere);
        var result = DocumentIngest.Ingest([docs, Path.Combine(docs, "nested")], new ChunkOptions());
        Assert.Equal(3, result.Documents.Count);
        Assert.Contains(result.Documents, d => d.Source == Path.Combine(docs, "linked", "c.txt"));
        var skipped = Assert.Single(result.Skipped);
        Assert.Equal((Path.Combine(docs, "nested"), "a folder read already"), (skipped.Path, skipped.Reason));
    }
}
