using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="RealPath"/> resolves links as <c>realpath</c> does: a folder named through a link (absolute or relative,
/// at any depth, a link to a link) is the folder it names; what does not exist is kept as written.
/// </summary>
public sealed class RealPathTests
{
    private static string Real() => Path.GetFullPath(Directory.CreateTempSubdirectory("skald-realpath").FullName);

    [Fact]
    public void LinksAlongThePathAreResolved()
    {
        string root = Real();
        string docs = Path.Combine(root, "data", "docs");
        Directory.CreateDirectory(Path.Combine(docs, "hr"));
        File.WriteAllText(Path.Combine(docs, "hr", "ferie.md"), "Ferie");
        string absolute = Path.Combine(root, "absolute");
        Directory.CreateSymbolicLink(absolute, docs);
        string relative = Path.Combine(root, "relative");
        Directory.CreateSymbolicLink(relative, Path.Combine("data", "docs")); // taken from the link's own folder
        string chained = Path.Combine(root, "chained");
        Directory.CreateSymbolicLink(chained, "relative");
        string parent = Path.Combine(root, "parent");
        Directory.CreateSymbolicLink(parent, Path.Combine(root, "data"));
        string file = Path.Combine(root, "ferie-link.md");
        File.CreateSymbolicLink(file, Path.Combine(docs, "hr", "ferie.md"));

        Assert.Equal(docs, RealPath.Of(docs));
        Assert.Equal(docs, RealPath.Of(absolute));
        Assert.Equal(docs, RealPath.Of(relative + Path.DirectorySeparatorChar));
        Assert.Equal(docs, RealPath.Of(chained));
        Assert.Equal(docs, RealPath.Of(Path.Combine(parent, "docs")));
        Assert.Equal(Path.Combine(docs, "hr", "ferie.md"), RealPath.Of(Path.Combine(chained, "hr", "ferie.md")));
        Assert.Equal(Path.Combine(docs, "hr", "ferie.md"), RealPath.Of(file));
        Assert.Equal(docs, RealPath.Of(Path.Combine(chained, "hr", "..")));
        // a path that does not exist (yet) keeps its missing part as written, under the real folder it starts in
        Assert.Equal(Path.Combine(docs, "new", "x.md"), RealPath.Of(Path.Combine(absolute, "new", "x.md")));
    }

    [Fact]
    public void ALinkLoopIsKeptAsWritten()
    {
        string root = Real();
        string a = Path.Combine(root, "a"), b = Path.Combine(root, "b");
        Directory.CreateSymbolicLink(a, b);
        Directory.CreateSymbolicLink(b, a);
        Assert.Equal(Path.Combine(a, "x"), RealPath.Of(Path.Combine(a, "x")));
    }

    /// <summary>
    /// A link whose target goes up with <c>..</c> past another link is resolved as the kernel resolves it: the
    /// <c>..</c> leaves the folder the inner link names, not the inner link's own folder. Collapsing a target's
    /// <c>..</c> as text named a sibling the link does not lead to, so an index written through such a link
    /// (<see cref="IndexWriter"/> writes the real folder) went to a folder its readers never open.
    /// </summary>
    [Fact]
    public void DotDotInALinksTargetLeavesTheFolderAnInnerLinkNames()
    {
        if (OperatingSystem.IsWindows()) return; // links there need rights the tests may not have
        string root = Real();
        string idx = Path.Combine(root, "real", "idx");
        Directory.CreateDirectory(Path.Combine(root, "real", "sub"));
        Directory.CreateDirectory(idx);
        Directory.CreateSymbolicLink(Path.Combine(root, "hop"), Path.Combine("real", "sub"));
        string link = Path.Combine(root, "idx-link");
        Directory.CreateSymbolicLink(link, Path.Combine("hop", "..", "idx")); // the kernel: root/real/sub/.. = root/real
        File.WriteAllText(Path.Combine(idx, "marker"), "");
        Assert.True(File.Exists(Path.Combine(link, "marker"))); // the system's own reading of the link
        Assert.Equal(idx, RealPath.Of(link));
        Assert.Equal(Path.Combine(idx, "marker"), RealPath.Of(Path.Combine(link, "marker")));
        string absolute = Path.Combine(root, "absolute-link");
        Directory.CreateSymbolicLink(absolute, Path.Combine(root, "hop", "..", "idx"));
        Assert.Equal(idx, RealPath.Of(absolute));
    }
}
