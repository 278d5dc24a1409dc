namespace Skald.Cli.Tests;

/// <summary>
/// A pipeline <c>mine_negatives</c> stage's <c>seed</c> key: with <c>sampling: random</c> it draws the negatives
/// <c>data mine-negatives --seed</c> draws (Python's <c>random.seed(seed)</c>, then the function's <c>random.sample</c>),
/// as the stage takes the command's other options as keys.
/// </summary>
public sealed class MineNegativesStageSeedTests
{
    [Fact]
    public void TheStagesSeedDrawsTheNegativesOfDataMineNegativesSeed()
    {
        var passages = Enumerable.Range(1, 30).Select(i => $"Fakturaer nummer {i} ligger på bord {i}" + new string('!', i)).ToArray();
        var (config, outDir) = MineNegativesStageLanguageTests.Write("    model: bm25\n    sampling: random\n    format: n-tuple\n    seed: 7", passages);
        var run = InProcessSkald.Capture("pipeline", "--config", config, "--quiet");
        Assert.True(run.ExitCode == 0, run.Stderr);
        string dir = Path.GetDirectoryName(config)!;
        string Cli(int seed)
        {
            string output = Path.Combine(dir, $"cli-{seed}.jsonl");
            var r = InProcessSkald.Capture("data", "mine-negatives", "--data", Path.Combine(dir, "pairs.jsonl"), "--corpus", Path.Combine(dir, "corpus.txt"),
                "--output", output, "--model", "bm25", "--num-negatives", "1", "--relative-margin", "none", "--sampling", "random", "--format", "n-tuple",
                "--seed", $"{seed}", "--quiet");
            Assert.True(r.ExitCode == 0, r.Stderr);
            return File.ReadAllText(output);
        }

        Assert.NotEqual(Cli(42), Cli(7)); // the seed picks the draw
        Assert.Equal(Cli(7), File.ReadAllText(Path.Combine(outDir, "mined.jsonl")));
    }
}
