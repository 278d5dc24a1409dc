namespace Skald.Cli.Tests;

/// <summary>
/// The default <c>--overlap-tokens</c> of <c>skald data generate</c> and a pipeline generate stage: a quarter of the
/// chunk, at most 32, so a small chunk does not repeat most of its neighbour.
/// </summary>
public sealed class DataChunkOverlapTests
{
    /// <summary>One document of ten sentences of eight words each (80 words).</summary>
    private static string Documents()
    {
        string dir = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(dir);
        string[] words = ["en", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti"];
        File.WriteAllText(Path.Combine(dir, "setninger.txt"),
            string.Join(' ', words.Select(w => $"Setning nummer {w} forteller noe nytt om kontoret.")) + "\n");
        return dir;
    }

    [Fact]
    public void AChunkOfFortyWordsRepeatsOneSentenceOfItsNeighbourNotFour()
    {
        // 40-word chunks hold five 8-word sentences. The default overlap was 32 words (four sentences), so each chunk
        // moved on by one sentence: six chunks, every one mostly its neighbour. A quarter, 10 words, repeats one
        // sentence: sentences 1–5, 5–9 and 9–10, three chunks.
        string docs = Documents(), output = Path.Combine(Path.GetDirectoryName(docs)!, "data");
        var r = InProcessSkald.Capture("data", "generate", "--documents", docs, "--output", output, "--chunk-tokens", "40");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("1 document, 3 chunks of at most 40 words", r.Stdout);
        r = InProcessSkald.Capture("data", "generate", "--documents", docs, "--output", output, "--chunk-tokens", "40", "--overlap-tokens", "32"); // asked for, still there
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("1 document, 6 chunks of at most 40 words", r.Stdout);
    }

    [Fact]
    public void APipelineGenerateStageUsesTheSameDefault()
    {
        string docs = Documents(), dir = Path.GetDirectoryName(docs)!, config = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(config, $$"""
            output: {{Path.Combine(dir, "run")}}
            stages:
              - {name: gen, type: generate, documents: ['{{docs}}'], chunk_tokens: 40, test_fraction: 0}
            """);
        var r = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir, "run", "gen", "corpus.jsonl")).Length);
    }
}
