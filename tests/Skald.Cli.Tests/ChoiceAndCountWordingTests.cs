using Skald.Cli.Commands.Index;
using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// Enumerated values of the command line and of pipeline files get "did you mean" for a near miss, as every other
/// choice does; counts in user-facing lines agree with their noun ("1 list", not "1 lists").
/// </summary>
public sealed class ChoiceAndCountWordingTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Pipeline(string stage) =>
        TestPaths.WriteFile(dir, "pipeline.yaml", $"output: {Path.Combine(dir, "out")}\nstages:\n  - {stage}\n");

    [Fact]
    public void MistypedPromptLanguageOfDataGenerateGetsDidYouMean() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "generate", "--documents", dir, "--output", Path.Combine(dir, "o"),
            "--generator", "llm", "--language", "sw"), 2, "option --language got 'sw'; did you mean 'sv'? (must be one of nb, nn, da, sv)");

    [Fact]
    public void MistypedLanguageOfDataTranslateGetsDidYouMean() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "translate", "--data", "x.jsonl", "--output", "y.jsonl",
            "--from", "nbb", "--to", "nn"), 2, "option --from got 'nbb'; did you mean 'nb'? (must be one of nb, nn, da, sv)");

    /// <summary>
    /// A pipeline stage's enumerated values: its type, and the prompt language of a generate stage (read as any text
    /// and sent on, before) and the languages of a translate stage (which failed later as "unknown language pair").
    /// </summary>
    [Theory]
    [InlineData("{name: gen, type: generat, documents: [x]}", "unknown stage type \"generat\"; did you mean \"generate\"? (tokenizer, ")]
    [InlineData("{name: gen, type: generate, documents: [x], generator: llm, llm: 'http://127.0.0.1:9/v1', llm_model: m, language: sw}",
        "gen.language got 'sw'; did you mean 'sv'? (must be one of nb, nn, da, sv)")]
    [InlineData("{name: tr, type: translate, data: x.jsonl, from: nb, to: svv, engine: llm, llm: 'http://127.0.0.1:9/v1', llm_model: m}",
        "tr.to got 'svv'; did you mean 'sv'?")]
    [InlineData("{name: gen, type: generate, documents: [x], held_out: documnets}", "gen.held_out got 'documnets'; did you mean 'documents'?")]
    public void MistypedStageChoiceGetsDidYouMean(string stage, string fragment)
    {
        string config = Pipeline(stage);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("pipeline", "--config", config), 1, $"{config}:3", fragment);
    }

    [Fact]
    public void AnIndexOfOneListAndOneBitSaysSo()
    {
        var manifest = new IndexManifest { Dimension = 8, IvfLists = 1, IvfProbes = 1, PqSubspaces = 1, PqBits = 1 };
        Assert.Equal("8-d, cosine, PQ: 1 code of 1 bit, IVF: 1 list, 1 probed per search", IndexOptions.Layout(manifest));
    }

    /// <summary>The closing lines of encode and generate over one text, one prompt and one token (were "1 embeddings", "1 tokens for 1 prompts").</summary>
    [Fact]
    public void OneEmbeddingOnePromptAndOneTokenAreSingular()
    {
        string texts = TestPaths.WriteFile(dir, "one.txt", "Hei verden\n"), vectors = Path.Combine(dir, "one.jsonl");
        var encode = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", texts, "--output", vectors);
        Assert.True(encode.ExitCode == 0, encode.Stderr);
        Assert.Contains($"wrote 1 embedding of dimension 32 to {vectors}", encode.Stderr);
        string prompts = TestPaths.WriteFile(dir, "prompts.jsonl", "{\"ids\": [5, 9, 13]}\n");
        var generate = InProcessSkald.Capture("generate", "--model", TestPaths.FixtureModel("decoder-qwen2"), "--input", prompts,
            "--output", Path.Combine(dir, "generated.jsonl"), "--max-new-tokens", "1");
        Assert.True(generate.ExitCode == 0, generate.Stderr);
        Assert.Contains("generated 1 token for 1 prompt in ", generate.Stderr);
    }
}
