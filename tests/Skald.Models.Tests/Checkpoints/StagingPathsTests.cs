using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Checkpoints;

/// <summary>What a killed atomic write leaves behind is cleaned up (or put back) by the next write of the same target.</summary>
public sealed class StagingPathsTests
{
    private readonly string dir = TestPaths.NewTempDir();

    [Fact]
    public void DeadWritersTempSiblingsGoAndAFolderMovedAsideComesBack()
    {
        string target = Path.Combine(dir, "final");
        // Killed between "move the old model aside" and "move the new one in": the old one must come back.
        Directory.CreateDirectory(Path.Combine(dir, ".old-final-99999999"));
        File.WriteAllText(Path.Combine(dir, ".old-final-99999999", "model.safetensors"), "old");
        Directory.CreateDirectory(Path.Combine(dir, ".tmp-final-99999999"));
        File.WriteAllText(Path.Combine(dir, ".tmp-final.json-99999999"), "half");  // another target: kept
        StagingPaths.Recover(target);
        Assert.Equal("old", File.ReadAllText(Path.Combine(target, "model.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(dir, ".tmp-final-99999999")));
        Assert.True(File.Exists(Path.Combine(dir, ".tmp-final.json-99999999")));
    }

    /// <summary>
    /// A caller that knows every writer has ended (it holds their lock) has the leftovers named by a running process
    /// id cleaned up too, the folder moved aside put back: the id was a dead writer's, since given to another process.
    /// </summary>
    [Fact]
    public void WithEveryWriterGoneARunningIdsLeftoversGoAndTheFolderComesBack()
    {
        string target = Path.Combine(dir, "idx");
        Assert.False(StagingPaths.HasSiblings(target));
        using var other = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "30"))!;
        Directory.CreateDirectory(Path.Combine(dir, $".old-idx-{other.Id}"));
        File.WriteAllText(Path.Combine(dir, $".old-idx-{other.Id}", "index.json"), "old");
        Directory.CreateDirectory(Path.Combine(dir, $".tmp-idx-{other.Id}"));
        Assert.True(StagingPaths.HasSiblings(target));
        StagingPaths.Recover(target, writersGone: false);
        Assert.False(Directory.Exists(target)); // by the id alone, a running writer's
        StagingPaths.Recover(target, writersGone: true);
        Assert.Equal("old", File.ReadAllText(Path.Combine(target, "index.json")));
        Assert.False(StagingPaths.HasSiblings(target));
        other.Kill();
    }

    [Fact]
    public void ARunningWritersTempIsLeftAlone()
    {
        string target = Path.Combine(dir, "out.jsonl");
        using var other = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "30"))!;
        string live = Path.Combine(dir, $".tmp-out.jsonl-{other.Id}");
        string dead = Path.Combine(dir, ".tmp-out.jsonl-99999999");
        File.WriteAllText(live, "writing");
        File.WriteAllText(dead, "killed");
        StagingPaths.Recover(target);
        Assert.True(File.Exists(live));
        Assert.False(File.Exists(dead));
        other.Kill();
    }

    [Fact]
    public void AnOldCopyIsDeletedWhenTheNewOneIsInPlace()
    {
        string target = Path.Combine(dir, "final");
        Directory.CreateDirectory(target);
        Directory.CreateDirectory(Path.Combine(dir, ".old-final-99999999"));
        StagingPaths.Recover(target);
        Assert.False(Directory.Exists(Path.Combine(dir, ".old-final-99999999")));
        Assert.True(Directory.Exists(target));
    }
}
