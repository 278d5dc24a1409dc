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
            { "bert-cased-mean", "model.safetensors", ["index", "build", "--documents", Path.Combine(TestPaths.RepoRoot, "samples", "documents"), "--output", Path.Combine(TestPaths.NewTempDir(), "idx")] },
        };
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public void AFileOfTheModelIsNamedWithItsFolder(string fixture, string file, string[] verb)
    {
        string folder = TestPaths.FixtureModel(fixture), path = Path.Combine(folder, file);
        int words = verb[0] == "index" ? 2 : 1; // `index build` is two words before its options
        var r = SkaldProcess.Run([.. verb[..words], "--model", path, .. verb[words..]]);
        SkaldProcess.AssertUserError(r, 1, $"{path}: is a file, not a model folder (name the folder holding it: {Path.GetFullPath(folder)})");
    }

    [Fact]
    public void AFileOfTheModelInAHybridModelIsNamedWithItsFolder()
    {
        string folder = TestPaths.FixtureModel("bert-cased-mean"), path = Path.Combine(folder, "model.safetensors");
        string task = Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "retrieval");
        var r = SkaldProcess.Run("evaluate", "--model", "hybrid:" + path, "--task", task);
        SkaldProcess.AssertUserError(r, 1, $"{path}: is a file, not a model folder (name the folder holding it: {Path.GetFullPath(folder)})");
    }

    [Fact]
    public void AMissingFolderIsStillNotFound()
    {
        string missing = Path.Combine(TestPaths.NewTempDir(), "nope");
        SkaldProcess.AssertUserError(SkaldProcess.Run("info", "--model", missing), 1, $"{missing}: model folder not found");
    }
}
