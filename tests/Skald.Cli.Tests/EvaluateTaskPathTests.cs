namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald evaluate --task FOLDER --type T</c> where tasks of type T are files (STS, pairs, triplets, bitext): the
/// folder is named as a folder, not as a file that was not found.
/// </summary>
public sealed class EvaluateTaskPathTests
{
    [Theory]
    [InlineData("sts")]
    [InlineData("triplets")]
    [InlineData("bitext")]
    [InlineData("pairs")]
    public void AFolderGivenForAFileTaskIsNamedAsAFolder(string type)
    {
        string folder = Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "retrieval");
        var r = InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", folder, "--type", type);
        SkaldProcess.AssertUserError(r, 1, $"{folder}: is a folder, not a file");
        Assert.DoesNotContain("not found", r.Stderr);
    }

    [Fact]
    public void AMissingTaskFileIsStillNotFound()
    {
        string missing = Path.Combine(TestPaths.NewTempDir(), "nope.tsv");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", missing, "--type", "sts"),
            1, $"{missing}: ");
    }
}
