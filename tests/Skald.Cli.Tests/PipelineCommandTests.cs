namespace Skald.Cli.Tests;

[RunsLong(52)] // 18 recipes, several training
public sealed class PipelineCommandTests
{
    private static string Write(string yaml)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "pipeline.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>A short chain: tokenizer → new BERT → masked-LM → MNRL → benchmark, each stage reading the one before.</summary>
    [Fact]
    public void StagesRunInOrderAndChainTheirOutputs()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "p");
        string train = Write("""
            model: {path: x, dropout: 0.1}
            data: {train: [samples/data/train-pairs.jsonl], columns: [anchor, positive], max_train_samples: 256}
            training: {batch_size: 32, learning_rate: 1.0e-3, max_steps: 6, warmup_steps: 1, logging_steps: 2}
            loss: {type: mnrl}
            evaluation: {steps: 0, retrieval: null}
            output: {dir: x, save_steps: 0, tensorboard: false, resume: false}
            """);
        string config = Write($$"""
            output: {{outDir}}
            stages:
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt, vocab_size: 1500, lowercase: true}
              - {name: init, type: new_bert, tokenizer: tok, hidden: 32, layers: 1, heads: 2, intermediate: 64, max_positions: 64}
              - {name: mlm, type: mlm, model: init, corpus: samples/data/corpus.txt, steps: 3, batch_size: 8}
              - {name: tuned, type: train, config: {{train}}, model: mlm}
              - {name: report, type: benchmark, suite: samples/quickstart-suite.json, models: [init, tuned]}
            """);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(Path.Combine(outDir, "tok", "tokenizer.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "mlm", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(outDir, "tuned", "modules.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "report.html")));
        Assert.Contains("| init |", r.Stdout);
        Assert.Contains("| tuned |", r.Stdout);
    }

    /// <summary>configs/llm2vec-example.yaml as shipped (tiny decoder): MNTP → SimCSE → supervised, each a LoRA adapter on the last.</summary>
    [Fact]
    public void TheLlm2VecRecipeRunsAndChainsAdapters()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "llm2vec");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", "configs/llm2vec-example.yaml", "--set", $"output={outDir}");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var adapter in new[] { "mntp", "simcse" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, adapter, "adapter_model.safetensors")), adapter);
            Assert.True(File.Exists(Path.Combine(outDir, adapter, "llm2vec_config.json")), adapter);
        }
        Assert.True(File.Exists(Path.Combine(outDir, "supervised", "model.safetensors"))); // saved merged
        Assert.True(File.Exists(Path.Combine(outDir, "supervised", "llm2vec_config.json")));
        // configs/llm2vec/supervised.yaml's data.instruction goes with the model, so the report stage embedded its queries with it
        using (var st = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "supervised", "config_sentence_transformers.json"))))
            Assert.Equal("Given a question, retrieve a passage that answers it", st.RootElement.GetProperty("prompts").GetProperty("query").GetString());
        Assert.Contains("| supervised |", r.Stdout);
        // The simcse stage trained on the model with the MNTP adapter merged in.
        Assert.Contains("mntp", File.ReadAllText(Path.Combine(outDir, "runs", "simcse", "checkpoints", "step-20", "trainer_state.json")));
        // The simcse adapter, moved from runs/simcse/final into its stage folder, still finds the mntp adapter it was
        // trained on (skald_base_adapters.json named it from runs/simcse/final before) and embeds as the chain does.
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.txt"), alone = Path.Combine(dir, "alone.npy"), chain = Path.Combine(dir, "chain.npy");
        File.WriteAllLines(input, ["Hei verden", "Fjorden er lang"]);
        var byItself = SkaldProcess.RunIn(TestPaths.RepoRoot, "encode", "--model", Path.Combine(outDir, "simcse"), "--input", input, "--output", alone);
        Assert.True(byItself.ExitCode == 0, byItself.Stderr);
        var given = SkaldProcess.RunIn(TestPaths.RepoRoot, "encode", "--model", "fixtures/models/decoder-qwen2", "--adapters",
            Path.Combine(outDir, "mntp") + "," + Path.Combine(outDir, "simcse"), "--input", input, "--output", chain);
        Assert.True(given.ExitCode == 0, given.Stderr);
        Assert.Equal(File.ReadAllBytes(chain), File.ReadAllBytes(alone));
    }

    /// <summary>
    /// The same recipe with the base held in bfloat16 (each train stage's <c>weights: bf16</c>, i.e. model.weights): the
    /// adapters train on the frozen 16-bit base and the supervised stage saves merged float32 weights.
    /// </summary>
    [Fact]
    public void TheLlm2VecRecipeRunsOnABf16Base()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "llm2vec-bf16");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", "configs/llm2vec-example.yaml", "--set", $"output={outDir}",
            "--set", "mntp.weights=bf16", "--set", "simcse.weights=bf16", "--set", "supervised.weights=bf16");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var adapter in new[] { "mntp", "simcse" })
            Assert.True(File.Exists(Path.Combine(outDir, adapter, "adapter_model.safetensors")), adapter);
        string merged = Path.Combine(outDir, "supervised", "model.safetensors");
        using (var st = Skald.Models.Checkpoints.SafeTensorsFile.Open(merged))
            Assert.All(st.Tensors.Values, t => Assert.Equal(Skald.Models.Checkpoints.SafeTensorsDType.F32, t.DType));
        Assert.Contains("| supervised |", r.Stdout);
        // Each train stage held the base in bfloat16 (the stage's weights key reached model.weights).
        Assert.Equal(3, r.Stderr.Split('\n').Count(l => l.Contains("weight matrices are held in bfloat16", StringComparison.Ordinal)));
    }

    /// <summary>
    /// The recipe's adapter stages on an int8 base (<c>weights: int8</c>: the Linear weights held in int8, multiplied
    /// dequantised while the adapters train); the supervised stage, which saves merged float32 weights, stays float32.
    /// </summary>
    [Fact]
    public void TheLlm2VecAdapterStagesRunOnAnInt8Base()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "llm2vec-int8");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", "configs/llm2vec-example.yaml", "--set", $"output={outDir}",
            "--set", "mntp.weights=int8", "--set", "simcse.weights=int8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var adapter in new[] { "mntp", "simcse" })
            Assert.True(File.Exists(Path.Combine(outDir, adapter, "adapter_model.safetensors")), adapter);
        Assert.Equal(2, r.Stderr.Split('\n').Count(l => l.Contains("Linear weights are held in int8", StringComparison.Ordinal)));
    }

    /// <summary>configs/norsbert4-two-stage.yaml as shipped (tiny NorBERT4): Bokmål ↔ Nynorsk MNRL, then NLI triplets.</summary>
    [Fact]
    public void TheNorSbert4RecipeRunsOnGptBert()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "norsbert4");
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", "configs/norsbert4-two-stage.yaml", "--set", $"output={outDir}");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var stage in new[] { "bokmaal-nynorsk", "nli" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, stage, "modules.json")), stage);
            // the saved transformer is still a NorBERT4 folder: its config.json keeps auto_map → modeling_gptbert
            Assert.Contains("modeling_gptbert", File.ReadAllText(Path.Combine(outDir, stage, "config.json")));
        }
        Assert.Contains("| nli |", r.Stdout);
        // stage 2 started from stage 1's output
        Assert.Contains("bokmaal-nynorsk", File.ReadAllText(Path.Combine(outDir, "runs", "nli", "checkpoints", "step-6", "trainer_state.json")));
    }

    [Fact]
    public void SetNamesAnUnknownStage()
    {
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", "configs/llm2vec-example.yaml", "--set", "mntpp.model=x");
        SkaldProcess.AssertUserError(r, 1, "--set mntpp.model: no stage is named \"mntpp\"");
    }

    [Fact]
    public void UnknownStageKeyIsNamed()
    {
        string config = Write("""
            output: out/x
            stages:
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt, vocab_sise: 100}
            """);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, "pipeline.yaml:3: unknown config key 'tok.vocab_sise'", "known keys in tok: corpus, kind, lowercase");
    }

    [Fact]
    public void ASecondYamlDocumentIsNamedNotIgnored()
    {
        // The pipeline file is read as a training config is: the stages after '---' were dropped without a word.
        string outDir = Path.Combine(TestPaths.NewTempDir(), "p");
        string config = Write($$"""
            output: {{outDir}}
            stages:
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt}
            ---
            stages:
              - {name: tok2, type: tokenizer, corpus: samples/data/corpus.txt}
            """);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config), 1,
            "pipeline.yaml:5: a second YAML document (after '---'); the file holds one document");
        Assert.False(Directory.Exists(outDir), "the first document's stages ran");
    }

    [Fact]
    public void BadStageValueAndUnknownStageTypeAreNamedBeforeAnyStageRuns()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "p");
        string config = Write($$"""
            output: {{outDir}}
            stages:
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt}
              - name: init
                type: new_bert
                tokenizer: tok
                hidden: lots
            """);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        SkaldProcess.AssertUserError(r, 1, "pipeline.yaml:7: init.hidden must be a whole number, got 'lots'");
        Assert.False(Directory.Exists(outDir), "a stage ran before every stage was checked");

        config = Write("""
            output: out/x
            stages:
              - {name: tok, type: tokeniser}
            """);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config), 1,
            "pipeline.yaml:3: unknown stage type \"tokeniser\"");
    }

    /// <summary>An mlm stage whose corpus holds no text (empty, or only blank lines) is one line naming the corpus file.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("\n   \n\t\n")]
    public void AnEmptyMlmCorpusIsNamed(string text)
    {
        string dir = TestPaths.NewTempDir(), corpus = Path.Combine(dir, "empty.txt");
        File.WriteAllText(corpus, text);
        string config = Write($$"""
            output: {{Path.Combine(dir, "p")}}
            stages:
              - {name: mlm, type: mlm, model: {{TestPaths.FixtureModel("bert-cased-mean")}}, corpus: {{corpus}}, steps: 2, batch_size: 4}
            """);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        // (was "training.batch_size 4 is larger than the data: corpus has 0 rows", no file named)
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"skald: error: {corpus}: mlm.corpus has no text to pretrain on (the file is empty or holds only blank lines)",
            r.Stderr.Trim().Split('\n')[^1]);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void AHiddenWidthTheHeadsDoNotDivideIsNamedBeforeAnyStageRuns()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "p");
        string config = Write($$"""
            output: {{outDir}}
            stages:
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt}
              - {name: init, type: new_bert, tokenizer: tok, hidden: 30, heads: 4}
            """);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config), 1,
            "pipeline.yaml:4: init.hidden 30 must be a multiple of init.heads 4");
        Assert.False(Directory.Exists(outDir), "a stage ran before every stage was checked");
    }

    [Fact]
    public void AMaskProbabilityOfZeroAndAnOutputThatIsAFileAreNamedBeforeAnyStageRuns()
    {
        string dir = TestPaths.NewTempDir(), outDir = Path.Combine(dir, "p");
        string config = Write($$"""
            output: {{outDir}}
            stages:
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt}
              - {name: mlm, type: mlm, model: tok, corpus: [samples/data/corpus.txt], mask_probability: 0}
            """);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config), 1,
            "pipeline.yaml:4: mlm.mask_probability must be between 0 and 1 (exclusive), got 0");
        Assert.False(Directory.Exists(outDir), "a stage ran before every stage was checked");
        string file = Path.Combine(dir, "afile");
        File.WriteAllText(file, "x");
        config = Write($$"""
            output: {{file}}
            stages:
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt}
            """);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config), 1,
            $"output {file} is a file; name a folder");
    }

    [Fact]
    public void AStageThatUsesALaterStagesOutputIsNamedBeforeAnyStageRuns()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "p");
        string config = Write($$"""
            output: {{outDir}}
            stages:
              - {name: init, type: new_bert, tokenizer: tok/tokenizer.json}
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt}
            """);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config), 1,
            "pipeline.yaml:3: init.tokenizer names stage \"tok\", which runs later");
        Assert.False(Directory.Exists(outDir), "a stage ran before every stage was checked");
    }

    [Fact]
    public void ABenchmarkStageWithoutItsSuiteIsOneLine()
    {
        string dir = TestPaths.NewTempDir(), suite = Path.Combine(dir, "nope.json");
        string config = Write($$"""
            output: {{Path.Combine(dir, "p")}}
            stages:
              - {name: bench, type: benchmark, models: [bm25], suite: {{suite}}}
            """);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        // Found before the stage runs (was "internal error: EvaluationException: ...", exit 70; then the stage's error).
        SkaldProcess.AssertUserError(r, 1, $"pipeline.yaml:3: bench.suite: {suite} not found");
        Assert.False(Directory.Exists(Path.Combine(dir, "p")), "a stage ran before every stage was checked");
    }

    [Fact]
    public void AStageNameThatLeavesTheOutputFolderIsRefused()
    {
        // A stage writes (and replaces) OUTPUT/NAME: '..' or a path would replace a folder outside the output.
        string dir = TestPaths.NewTempDir(), outDir = Path.Combine(dir, "p"), victim = Path.Combine(dir, "victim.txt");
        File.WriteAllText(victim, "keep me");
        foreach (string name in new[] { "..", ".", "../escape", "a/b", "/tmp/abs", " " })
        {
            string config = Write($$"""
                output: {{outDir}}
                stages:
                  - {name: '{{name}}', type: static, tokenizer: a.json, dim: 8}
                """);
            SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config), 1,
                "pipeline.yaml:3:", $"stage name \"{name}\" must be a plain folder name");
            Assert.Equal("keep me", File.ReadAllText(victim));
            Assert.False(Directory.Exists(outDir), $"name '{name}': a stage ran");
        }
    }

    [Fact]
    public void AStaticStageStartsANewModelOrDistillsAnEncoder()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "p");
        string teacher = TestPaths.FixtureModel("bert-cased-mean");
        string config = Write($$"""
            output: {{outDir}}
            stages:
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt, vocab_size: 300}
              - {name: fresh, type: static, tokenizer: tok, dim: 16, seed: 3}
              - {name: distilled, type: static, model: {{teacher}}, dim: 8, corpus: [samples/data/corpus.txt]}
            """);
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        int Vocab(string tokenizerJson) => Skald.Tokenizers.Tokenizer.FromFile(tokenizerJson).VocabSize;
        using (var fresh = Skald.Models.Checkpoints.SafeTensorsFile.Open(Path.Combine(outDir, "fresh", "0_StaticEmbedding", "model.safetensors")))
            Assert.Equal([Vocab(Path.Combine(outDir, "tok", "tokenizer.json")), 16], Assert.Single(fresh.Tensors).Value.Shape);
        using (var distilled = Skald.Models.Checkpoints.SafeTensorsFile.Open(Path.Combine(outDir, "distilled", "0_StaticEmbedding", "model.safetensors")))
            Assert.Equal([Vocab(Path.Combine(teacher, "tokenizer.json")), 8], Assert.Single(distilled.Tensors).Value.Shape);
        Assert.Contains("distilled", r.Stdout + r.Stderr);

        config = Write("""
            output: out/x
            stages:
              - {name: both, type: static, tokenizer: a.json, model: b}
            """);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config), 1,
            "either tokenizer (a new model with a random table) or model (distilled from that encoder)");
        config = Write("""
            output: out/x
            stages:
              - {name: fresh, type: static, tokenizer: a.json, corpus: [c.txt]}
            """);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config), 1,
            "fresh.corpus", "SIF weights of a distilled model");
    }

    [Fact]
    public void OcrKeysOfAGenerateStageAreCheckedBeforeAnyStageRuns()
    {
        string config = Write("""
            output: out/x
            stages:
              - {name: gen, type: generate, documents: [samples/documents], ocr: maybe}
            """);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config), 1,
            "pipeline.yaml:3: gen.ocr must be one of auto, off, got 'maybe'");
        config = Write("""
            output: out/x
            stages:
              - {name: gen, type: generate, documents: [samples/documents], ocr_languages: "nor, dan"}
            """);
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config), 1,
            "ocr_languages", "joined by '+'");
    }
}
