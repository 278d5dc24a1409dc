namespace Skald.Cli.Tests;

/// <summary>
/// Keys a <c>skald pipeline</c> stage accepts but would not use as it is set up are refused before the first stage
/// runs, in one line naming the file, line, stage and key: an LLM's keys (<c>max_requests</c> above all, a budget that
/// would silently not hold) on a generate stage with generator ict, a translate stage with engine apertium and an
/// evaluate_generation stage without the judge metric; bertscore's keys without that metric; ocr_languages with ocr off.
/// Before, each was read and ignored.
/// </summary>
public sealed class PipelineUnusedKeysTests
{
    [Theory]
    [InlineData("{name: gen, type: generate, documents: samples/data/corpus.txt, max_requests: 5}", "gen.max_requests", "with generator ict")]
    [InlineData("{name: gen, type: generate, documents: samples/data/corpus.txt, generator: ict, concurrency: 8}", "gen.concurrency", "with generator ict")]
    [InlineData("{name: gen, type: generate, documents: samples/data/corpus.txt, ocr: off, ocr_languages: nor}", "gen.ocr_languages", "with ocr off")]
    [InlineData("{name: nn, type: translate, data: samples/data/train-pairs.jsonl, from: nb, to: nn, engine: apertium, max_requests: 5}", "nn.max_requests", "with engine apertium")]
    [InlineData("{name: nn, type: translate, data: samples/data/train-pairs.jsonl, from: nb, to: nn, llm_model: m}", "nn.llm_model", "with engine apertium")]
    [InlineData("{name: rep, type: evaluate_generation, task: t.jsonl, systems: [s.jsonl], metrics: [rougeL], max_requests: 5}", "rep.max_requests", "without the metric judge")]
    [InlineData("{name: rep, type: evaluate_generation, task: t.jsonl, systems: [s.jsonl], judge: 'http://127.0.0.1:9/v1', judge_model: m}", "rep.judge", "without the metric judge")]
    [InlineData("{name: rep, type: evaluate_generation, task: t.jsonl, systems: [s.jsonl], bertscore_model: fixtures/models/plain-bert}", "rep.bertscore_model", "without the metric bertscore")]
    public void AKeyTheStageWouldNotUseIsRefusedBeforeAnyStageRuns(string stage, string key, string why)
    {
        var (config, outDir) = PipelinePreflightTests.Write(stage); // a tokenizer stage, then this one
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:4: {key} is not used {why}");
        Assert.False(Directory.Exists(outDir)); // the tokenizer stage before it did not run
    }

    [Fact]
    public void TheSameKeysAreTakenWhereTheyAreUsed()
    {
        // max_requests on an LLM generate stage passes the key check: the run gets as far as the LLM's missing API key
        var (config, _) = PipelinePreflightTests.Write("{name: gen, type: generate, documents: samples/data/corpus.txt, generator: llm, " +
            "llm: 'https://llm.invalid/v1', llm_model: m, max_requests: 5, api_key_env: SKALD_TESTS_NO_SUCH_KEY}");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, "gen.api_key_env: environment variable SKALD_TESTS_NO_SUCH_KEY is not set");
    }
}
