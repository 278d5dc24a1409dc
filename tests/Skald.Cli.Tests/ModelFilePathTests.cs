namespace Skald.Cli.Tests;

/// <summary>
/// <c>--model</c> naming a file of a model (its model.safetensors or config.json) instead of its folder: the error names
/// the folder to give, where it said "model folder not found" of a file that is right there.
/// </summary>
public sealed class ModelFilePathTests
{
    public static TheoryData<string, string, string[]> Verbs()
    {
        string texts = Path.Combine(TestPaths.RepoRoot, "samples", "encode-example.txt"), output = Path.Combine(TestPaths.NewTempDir(), "o.npy");
        return new TheoryData<string, string, string[]>
        {
            { "bert-cased-mean", "model.safetensors", ["info"] },
            { "bert-cased-mean", "config.json", ["encode", "--input", texts, "--output", output] },
            { "ce-bert", "model.safetensors", ["rerank", "--query", "Hvor ligger legekontoret?", "--documents", texts] },
        };
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public void AFileOfTheModelIsNamedWithItsFolder(string fixture, string file, string[] verb)
    {
        string folder = TestPaths.FixtureModel(fixture), path = Path.Combine(folder, file);
        var r = SkaldProcess.Run([verb[0], "--model", path, .. verb[1..]]);
        SkaldProcess.AssertUserError(r, 1, $"{path}: is a file, not a model folder (name the folder holding it: {Path.GetFullPath(folder)})");
    }

    [Fact]
    public void AMissingFolderIsStillNotFound()
    {
        string missing = Path.Combine(TestPaths.NewTempDir(), "nope");
        SkaldProcess.AssertUserError(SkaldProcess.Run("info", "--model", missing), 1, $"{missing}: model folder not found");
    }
}
