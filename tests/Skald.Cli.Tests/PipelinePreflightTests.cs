namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald pipeline</c> finds the files its stages read (corpora, configs, data, suites, tasks) and the translate
/// stage's language pair before the first stage runs, so a later stage's missing file costs no earlier stage's time;
/// a file an earlier stage makes (NAME or NAME/FILE) is not looked for.
/// </summary>
public sealed class PipelinePreflightTests
{
    private static (string Config, string OutDir) Write(string secondStage)
    {
        string dir = TestPaths.NewTempDir(), outDir = Path.Combine(dir, "p"), path = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(path, $$"""
            output: {{outDir}}
            stages:
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt, vocab_size: 500}
              - {{secondStage}}
            """);
        return (path, outDir);
    }

    [Theory]
    [InlineData("{name: mlm, type: mlm, model: tok, corpus: [samples/data/corpus.txt, MISSING]}", "mlm.corpus")]
    [InlineData("{name: tuned, type: train, model: tok, config: MISSING}", "tuned.config")]
    [InlineData("{name: bench, type: benchmark, models: [bm25], suite: MISSING}", "bench.suite")]
    [InlineData("{name: nn, type: translate, data: MISSING, from: nb, to: nn, engine: llm, llm: 'http://127.0.0.1:9/v1', llm_model: m}", "nn.data")]
    [InlineData("{name: mined, type: mine_negatives, data: samples/data/train-pairs.jsonl, model: bm25, corpus: MISSING}", "mined.corpus")]
    public void ASecondStagesMissingFileFailsBeforeTheFirstStageWrites(string stage, string key)
    {
        string missing = Path.Combine(TestPaths.NewTempDir(), "nope.txt");
        var (config, outDir) = Write(stage.Replace("MISSING", missing, StringComparison.Ordinal));
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:4: {key}: {missing} not found");
        Assert.DoesNotContain("stage 1/2", r.Stdout + r.Stderr);
        Assert.False(Directory.Exists(outDir), "stage 1 ran before stage 2's files were checked");
    }

    [Fact]
    public void AnUnsupportedTranslatePairFailsBeforeTheFirstStageWrites()
    {
        var (config, outDir) = Write("{name: en, type: translate, data: samples/data/train-pairs.jsonl, from: nb, to: en}");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:4: unknown language pair nb → en");
        Assert.False(Directory.Exists(outDir), "stage 1 ran before stage 2's language pair was checked");
    }

    [Fact]
    public void AFileAnEarlierStageMakesIsNotLookedFor()
    {
        // init/tokenizer.json exists only once stage 2 has run (NAME/FILE); tok is stage 1's output (NAME).
        var (config, outDir) = Write("""
            {name: init, type: new_bert, tokenizer: tok, hidden: 16, layers: 1, heads: 2, intermediate: 32, max_positions: 32}
              - {name: fresh, type: static, tokenizer: init/tokenizer.json, dim: 8}
            """);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(Path.Combine(outDir, "fresh", "0_StaticEmbedding", "model.safetensors")));
    }
}
