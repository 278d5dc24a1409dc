using System.Text.Json;

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
        string dir = TestPaths.NewTempDir(), pairs = Path.Combine(dir, "pairs.jsonl"), corpus = Path.Combine(dir, "corpus.txt");
        File.WriteAllText(pairs, JsonSerializer.Serialize(new { anchor = "kaffe", positive = "Kaffen er god." }) + "\n");
        File.WriteAllLines(corpus, Enumerable.Range(1, 30).Select(i => $"Kaffe nummer {i} står på bord {i}" + new string('!', i)));
        string Cli(int seed)
        {
            string output = Path.Combine(dir, $"cli-{seed}.jsonl");
            var r = InProcessSkald.Capture("data", "mine-negatives", "--data", pairs, "--corpus", corpus, "--output", output, "--model", "bm25",
                "--num-negatives", "3", "--relative-margin", "none", "--sampling", "random", "--format", "n-tuple", "--seed", $"{seed}", "--quiet");
            Assert.True(r.ExitCode == 0, r.Stderr);
            return File.ReadAllText(output);
        }
        string config = Path.Combine(dir, "pipeline.yaml"), outDir = Path.Combine(dir, "out");
        File.WriteAllText(config, $"""
            output: {outDir}
            stages:
              - name: mined
                type: mine_negatives
                data: {pairs}
                corpus: {corpus}
                model: bm25
                num_negatives: 3
                relative_margin: none
                sampling: random
                format: n-tuple
                seed: 7
            """);
        var run = InProcessSkald.Capture("pipeline", "--config", config, "--quiet");
        Assert.True(run.ExitCode == 0, run.Stderr);

        Assert.NotEqual(Cli(42), Cli(7)); // the seed picks the draw
        Assert.Equal(Cli(7), File.ReadAllText(Path.Combine(outDir, "mined.jsonl")));
    }
}
