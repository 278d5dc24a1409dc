namespace Skald.Cli.Tests;

/// <summary>
/// <c>data inspect</c> given a model (<c>--model</c>, or a model folder as <c>--tokenizer</c>) warns in one line of the
/// texts longer than the model reads (the F journey: the length table was in tokens, but nothing said that a fifth of
/// the positives would be cut at the model's max_seq_length).
/// </summary>
public sealed class DataInspectMaxLengthTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean"); // max_seq_length 64

    private static string Data()
    {
        // 100 words are more than 64 tokens whatever the tokenizer; three words are far fewer
        string longText = string.Join(' ', Enumerable.Repeat("fjorden", 100));
        string dir = TestPaths.NewTempDir();
        return TestPaths.WriteFile(dir, "pairs.jsonl", string.Join('\n',
            $$"""{"anchor": "hvor er fjorden", "positive": "{{longText}}"}""",
            """{"anchor": "hvor er byen", "positive": "byen ligger her"}""",
            $$"""{"anchor": "hvor er havet", "positive": "{{longText}}"}""") + "\n");
    }

    private static string? Warning(SkaldProcess.Result r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr);
        return (r.Stdout + r.Stderr).ReplaceLineEndings("\n").Split('\n').SingleOrDefault(l => l.Contains("are longer than", StringComparison.Ordinal));
    }

    [Fact]
    public void TextsLongerThanTheModelReadsAreCountedInOneLine()
    {
        string data = Data();
        string? line = Warning(InProcessSkald.Capture("data", "inspect", data, "--model", Model));
        Assert.NotNull(line);
        Assert.StartsWith($"warning: 2 of 6 texts (33.3%) are longer than the ", line);
        Assert.Contains($"tokens {Model} reads (max_seq_length 64 less special tokens and prompt)", line);
        Assert.EndsWith("(positive 2 of 3)", line);
        // a model folder as --tokenizer is the same model
        Assert.Equal(line, Warning(InProcessSkald.Capture("data", "inspect", data, "--tokenizer", Model)));
    }

    [Fact]
    public void ATokenizerAloneOrWordsHaveNoLimitToWarnOf()
    {
        string data = Data();
        Assert.Null(Warning(InProcessSkald.Capture("data", "inspect", data, "--tokenizer", Path.Combine(Model, "tokenizer.json"))));
        Assert.Null(Warning(InProcessSkald.Capture("data", "inspect", data)));
    }

    [Fact]
    public void ModelAndTokenizerTogetherIsAUsageError() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "inspect", Data(), "--model", Model, "--tokenizer", Model), 2,
            "give --model or --tokenizer, not both");
}
