namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald pipeline</c> finds the files its stages read (corpora, configs, data, suites, tasks), the models they load
/// (a folder, an earlier stage, or a hub id), the API keys of LLM stages and the translate stage's language pair before
/// the first stage runs, so a later stage's mistake costs no earlier stage's time; a file an earlier stage makes (NAME or
/// NAME/FILE) is not looked for, but a NAME/FILE must be one that stage writes.
/// </summary>
public sealed class PipelinePreflightTests
{
    internal static (string Config, string OutDir) Write(string secondStage)
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
        // (a language that is none of nb, nn, da, sv is refused as the key's value: ChoiceAndCountWordingTests)
        var (config, outDir) = Write("{name: same, type: translate, data: samples/data/train-pairs.jsonl, from: nb, to: nb}");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:4: unknown language pair nb → nb");
        Assert.False(Directory.Exists(outDir), "stage 1 ran before stage 2's language pair was checked");
    }

    [Fact]
    public void ATranslateColumnNamedLikeALaterStageIsAColumn()
    {
        // columns are names, not paths: "positive" was taken for the later stage of that name and refused ("en.columns
        // names stage "positive", which runs later"); now the stage runs and reads its columns (nosuch is not one).
        var (config, _) = Write("""
            {name: en, type: translate, data: samples/data/train-pairs.jsonl, from: nb, to: nn, engine: llm, llm: 'http://127.0.0.1:9/v1', llm_model: m, columns: [positive, nosuch]}
              - {name: positive, type: tokenizer, corpus: samples/data/corpus.txt, vocab_size: 500}
            """);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config, "--quiet");
        SkaldProcess.AssertUserError(r, 1, "samples/data/train-pairs.jsonl: no column 'nosuch'");
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

    private static void AssertNothingRan(SkaldProcess.Result r, string outDir)
    {
        Assert.DoesNotContain("stage 1/", r.Stdout + r.Stderr);
        Assert.False(Directory.Exists(outDir), "stage 1 ran before a later stage's keys were checked");
    }

    /// <summary>A mine_negatives stage reads its new keys (min_score, format n-tuple-scores, include_positives) before the first stage runs.</summary>
    [Fact]
    public void AMiningStageAskingForPositivesInTripletsFailsBeforeTheFirstStageRuns()
    {
        var (config, outDir) = Write("{name: mined, type: mine_negatives, data: samples/data/train-pairs.jsonl, model: bm25, min_score: 0.1, include_positives: true}");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:", "include_positives writes format n-tuple");
        AssertNothingRan(r, outDir);
    }

    [Theory]
    [InlineData("{name: init, type: new_bert, tokenizer: tok/vocab.txt}", "init.tokenizer: tok/vocab.txt: stage \"tok\" (tokenizer) writes tokenizer.json, not vocab.txt")]
    [InlineData("{name: mined, type: mine_negatives, data: samples/data/train-pairs.jsonl, model: bm25}\n  - {name: again, type: mine_negatives, data: mined/mined.jsonl, model: bm25}",
        "again.data: mined/mined.jsonl: stage \"mined\" (mine_negatives) writes one file, named by the stage alone: use mined")]
    [InlineData("{name: init, type: new_bert, tokenizer: tok}\n  - {name: fresh, type: static, tokenizer: init/vocab.json}",
        "fresh.tokenizer: init/vocab.json: stage \"init\" (new_bert) writes config.json, model.safetensors, tokenizer.json, tokenizer_config.json, not vocab.json")]
    public void AStageFileTheStageDoesNotWriteFailsBeforeTheFirstStageRuns(string stage, string message)
    {
        var (config, outDir) = Write(stage);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:", message);
        AssertNothingRan(r, outDir);
    }

    [Fact]
    public void ATokenizerStagesTokenizerJsonCanBeNamedAsStageSlashFile()
    {
        var (config, outDir) = Write("{name: init, type: new_bert, tokenizer: tok/tokenizer.json, hidden: 16, layers: 1, heads: 2, intermediate: 32, max_positions: 32}");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(outDir, "tok", "tokenizer.json")), File.ReadAllText(Path.Combine(outDir, "init", "tokenizer.json")));
    }

    [Theory]
    [InlineData("{name: mlm, type: mlm, model: ./no-such-model, corpus: samples/data/corpus.txt}", "mlm.model: ./no-such-model not found (no such file or folder, not a hub id org/name")]
    [InlineData("{name: mlm, type: mlm, model: ~/no-such-model, corpus: samples/data/corpus.txt}", "mlm.model: HOME/no-such-model not found")] // ~/ is the home folder
    [InlineData("{name: st, type: static, model: /no/such/model, dim: 8}", "st.model: /no/such/model not found")]
    [InlineData("{name: tuned, type: train, model: tok, config: configs/train-example.yaml, adapters: [./no-such-adapter]}", "tuned.adapters: ./no-such-adapter not found")]
    [InlineData("{name: tuned, type: train, model: tok, config: configs/train-example.yaml, data: [no-such-dir/pairs.jsonl]}", "tuned.data: no-such-dir/pairs.jsonl not found (no such file or folder, not a hub dataset org/name[:split]")]
    [InlineData("{name: bench, type: benchmark, models: [bm25, tok, ./no-such-model], suite: suites/scandinavian.json}", "bench.models: ./no-such-model not found (no such file or folder, not a hub id org/name")]
    [InlineData("{name: said, type: answer, model: ./no-such-decoder, task: samples/data/train-pairs.jsonl}", "said.model: ./no-such-decoder not found (no such file or folder, not a hub id org/name")]
    public void AModelThatIsNeitherOnDiskNorAStageNorAHubIdFailsBeforeTheFirstStageRuns(string stage, string message)
    {
        var (config, outDir) = Write(stage);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        message = message.Replace("HOME/", Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + "/", StringComparison.Ordinal);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:4: {message}");
        AssertNothingRan(r, outDir);
    }

    [Fact]
    public void AHubIdNotInTheCacheFailsBeforeTheFirstStageRunsWhenOffline()
    {
        string cache = TestPaths.NewTempDir();
        var (config, outDir) = Write("{name: mlm, type: mlm, model: skald-tests/no-such-model, corpus: samples/data/corpus.txt}");
        var r = SkaldProcess.RunWith(TestPaths.RepoRoot, new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = cache },
            "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:4: mlm.model: skald-tests/no-such-model: no such local folder, not in the hub cache {cache}, and HF_HUB_OFFLINE is set");
        AssertNothingRan(r, outDir);

        // a benchmark stage's models take hub ids too (as skald benchmark --models does)
        (config, outDir) = Write("{name: bench, type: benchmark, models: [bm25, skald-tests/no-such-model], suite: suites/scandinavian.json}");
        r = SkaldProcess.RunWith(TestPaths.RepoRoot, new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = cache },
            "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:4: bench.models: skald-tests/no-such-model: no such local folder, not in the hub cache {cache}, and HF_HUB_OFFLINE is set");
        AssertNothingRan(r, outDir);
    }

    [Theory]
    [InlineData("{name: gen, type: generate, documents: samples/data/corpus.txt, generator: llm, llm: 'https://llm.invalid/v1', llm_model: m, api_key_env: SKALD_TESTS_NO_SUCH_KEY}", "gen")]
    [InlineData("{name: nn, type: translate, data: samples/data/train-pairs.jsonl, from: nb, to: nn, engine: llm, llm: 'https://llm.invalid/v1', llm_model: m, api_key_env: SKALD_TESTS_NO_SUCH_KEY}", "nn")]
    [InlineData("{name: judged, type: evaluate_generation, task: t.jsonl, systems: [s.jsonl], metrics: [judge], judge: 'https://llm.invalid/v1', judge_model: m, api_key_env: SKALD_TESTS_NO_SUCH_KEY}", "judged")]
    public void AnLlmStagesMissingApiKeyFailsBeforeTheFirstStageRuns(string stage, string name)
    {
        var (config, outDir) = Write(stage);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:4: {name}.api_key_env: environment variable SKALD_TESTS_NO_SUCH_KEY is not set (the API key for llm.invalid)");
        AssertNothingRan(r, outDir);
    }

    [Fact]
    public void AnLlmStagesUrlThatIsNotHttpFailsBeforeTheFirstStageRuns()
    {
        var (config, outDir) = Write("{name: nn, type: translate, data: samples/data/train-pairs.jsonl, from: nb, to: nn, engine: llm, llm: 'localhost:8000', llm_model: m}");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:4: nn.llm must be an http(s) URL (an OpenAI-compatible base URL), got 'localhost:8000'");
        AssertNothingRan(r, outDir);
    }

    [Fact]
    public void TwoSystemsOfOneNameFailBeforeTheFirstStageRuns()
    {
        // a predictions file is named by its file name: two pred.jsonl were found only when evaluate_generation came to run
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "task.jsonl"), a = Path.Combine(dir, "a", "pred.jsonl"), b = Path.Combine(dir, "b", "pred.jsonl");
        File.WriteAllText(task, "{\"id\": \"1\", \"prompt\": \"p\", \"reference\": \"r\"}\n");
        foreach (var f in new[] { a, b })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(f)!);
            File.WriteAllText(f, "{\"id\": \"1\", \"text\": \"r\"}\n");
        }
        var (config, outDir) = Write($"{{name: ev, type: evaluate_generation, task: '{task}', systems: ['{a}', '{b}']}}");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:4: system 'pred' given twice");
        AssertNothingRan(r, outDir);
    }
}
