using System.Text;
using Skald.Data.IO;

namespace Skald.Data.Tests;

/// <summary>
/// The append-only journal under the LLM runs' resume journals: only complete lines are read, a torn last line is cut
/// at the next append (not before), and without <c>create</c> no file is made until something is appended.
/// </summary>
public sealed class JournalFileTests
{
    [Fact]
    public void ATornLastLineIsReadAsTheTailAndCutAtTheFirstAppend()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "j.jsonl");
        File.WriteAllText(path, "one\ntwo\nthr");
        using (var j = JournalFile.Open(path, create: false))
        {
            Assert.Equal(["one", "two"], j.Lines.Select(l => Encoding.UTF8.GetString(l)));
            Assert.Equal("thr", Encoding.UTF8.GetString(j.Tail));
            Assert.Equal("one\ntwo\nthr", File.ReadAllText(path)); // nothing appended yet: left as it was
            Assert.Throws<ArgumentException>(() => j.Append("four"u8));
            j.Append("four\nfive\n"u8);
        }
        Assert.Equal("one\ntwo\nfour\nfive\n", File.ReadAllText(path));
        using (var j = JournalFile.Open(path))
        {
            Assert.Equal(4, j.Lines.Count);
            Assert.Empty(j.Tail);
            j.Delete();
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void WithoutCreateNoFileIsMadeUntilTheFirstAppend()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "j.jsonl");
        using (var j = JournalFile.Open(path, create: false))
        {
            Assert.Empty(j.Lines);
            Assert.False(File.Exists(path));
        }
        Assert.False(File.Exists(path));
        using (var j = JournalFile.Open(path)) Assert.True(File.Exists(path));
    }
}
