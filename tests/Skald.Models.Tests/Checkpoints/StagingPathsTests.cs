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
