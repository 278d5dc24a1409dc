using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// <c>skald data mine-negatives --model org/name</c> takes a hub id as every other verb's <c>--model</c> does (it
/// answered "model folder not found"), against <see cref="MockHub"/> on 127.0.0.1 with HF_HOME in a temp folder.
/// </summary>
public sealed class HubMineNegativesTests
{
    [Fact]
    public void AHubIdMinesWhatTheSameModelAsAFolderMines()
    {
        var repo = MockRepo.FromFolder("skald-test/bert", TestPaths.FixtureModel("bert-cased-mean"));
        using var hub = new MockHub(repo);
        string dir = TestPaths.NewTempDir(), pairs = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(pairs, File.ReadLines(Path.Combine(TestPaths.RepoRoot, "samples", "data", "train-pairs.jsonl")).Take(40));
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        string fromFolder = Path.Combine(dir, "folder.jsonl"), fromHub = Path.Combine(dir, "hub.jsonl");

        var r = SkaldProcess.RunWith(dir, env, "data", "mine-negatives", "--data", pairs, "--output", fromFolder,
            "--model", TestPaths.FixtureModel("bert-cased-mean"), "--num-negatives", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = SkaldProcess.RunWith(dir, env, "data", "mine-negatives", "--data", pairs, "--output", fromHub, "--model", "skald-test/bert", "--num-negatives", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);

        Assert.NotEmpty(File.ReadAllLines(fromFolder));
        Assert.Equal(File.ReadAllText(fromFolder), File.ReadAllText(fromHub));
        Assert.True(Directory.Exists(Path.Combine(dir, "hf", "hub", "models--skald-test--bert")), "the model was not fetched into the cache");
    }
}
