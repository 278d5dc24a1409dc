namespace Skald.Cli.Tests;

/// <summary>
/// A user's file that is empty or not what the verb reads is one line in user words naming the file: a JSON file read
/// whole says "FILE: empty" or "FILE: not JSON (line L, column C): ..." (was the parser's "does not contain any JSON
/// tokens ... LineNumber: 0 | BytePositionInLine: 0"), a data file without rows says training's "FILE: no data rows".
/// </summary>
public sealed class EmptyAndNotJsonFileTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Write(string name, string text) => TestPaths.WriteFile(dir, name, text);

    /// <summary>A text file given as the tokenizer, an empty file as the suite: what is wrong, in user words.</summary>
    [Theory]
    [InlineData("tokenize", "texts.txt", "Hei verden\n", "not JSON (line 1, column 1): 'H' is an invalid start of a value.")]
    [InlineData("benchmark", "empty.json", "", "empty")]
    public void AJsonFileThatIsEmptyOrNotJsonIsSaidSo(string verb, string name, string text, string problem)
    {
        string file = Write(name, text), output = Path.Combine(dir, "out");
        var r = verb == "tokenize"
            ? InProcessSkald.Capture(verb, "--tokenizer", file, "--input", Write("input.txt", "hei\n"), "--output", output)
            : InProcessSkald.Capture(verb, "--models", "bm25", "--suite", file, "--output", output, "--no-cache");
        SkaldProcess.AssertUserError(r, 1, $"{file}: {problem}");
        Assert.DoesNotContain("LineNumber", r.Stderr);
        Assert.DoesNotContain("BytePositionInLine", r.Stderr);
        Assert.DoesNotContain("JSON tokens", r.Stderr);
    }

    /// <summary>
    /// A model's generation_config.json and an index's manifest, empty or broken, are JsonFile's lines too (were the
    /// parser's message and "invalid JSON at byte N of the line"), exit 1, no stack trace.
    /// </summary>
    [Theory]
    [InlineData("generate", "", "empty")]
    [InlineData("generate", "{\n  \"eos_token_id\": 2,\n  \"pad_token_id\": \"på\" x\n}", "not JSON (line 3, column 24): '")]
    [InlineData("index info", "  \n", "empty")]
    [InlineData("search", "{\"format\": \"skald-index\", \"model\": \"å\", ?}", "not JSON (line 1, column 41): '")]
    public void AModelsGenerationConfigOrAnIndexManifestThatIsEmptyOrNotJsonIsSaidSo(string verb, string text, string problem)
    {
        string file;
        SkaldProcess.Result r;
        if (verb == "generate")
        {
            string model = TestPaths.CopyOfFixtureModel("decoder-qwen2");
            file = TestPaths.WriteFile(model, "generation_config.json", text);
            r = InProcessSkald.Capture(verb, "--model", model, "--input", Write("prompts.jsonl", "{\"ids\": [1, 2]}\n"), "--output", Path.Combine(dir, "o.jsonl"));
        }
        else
        {
            string index = Path.Combine(dir, "index");
            Directory.CreateDirectory(index);
            file = TestPaths.WriteFile(index, "index.json", text);
            r = verb == "search"
                ? InProcessSkald.Capture("search", "--index", index, "--query", "ferje", "--mode", "bm25")
                : InProcessSkald.Capture("index", "info", "--index", index);
        }
        SkaldProcess.AssertUserError(r, 1, $"{file}: {problem}");
        Assert.DoesNotContain("LineNumber", r.Stderr);
        Assert.DoesNotContain("BytePositionInLine", r.Stderr);
        Assert.DoesNotContain("of the line", r.Stderr);
    }

    [Fact]
    public void InspectingAnEmptyDataFileIsNoDataRows()
    {
        string empty = Write("empty.jsonl", "");
        var r = InProcessSkald.Capture("data", "inspect", empty);
        SkaldProcess.AssertUserError(r, 1, $"{empty}: no data rows");
        Assert.DoesNotContain("0 rows", r.Stdout);
    }

    [Fact]
    public void InspectingFlagEmbeddingRowsReportsThemAndABadRowIsOneLine()
    {
        // the sample's pos_scores were read as a list of texts: inspect stopped with "must be a non-empty list of texts"
        var r = InProcessSkald.Capture("data", "inspect", Path.Combine(TestPaths.RepoRoot, "samples", "data", "flag-embedding.jsonl"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("FlagEmbedding rows: positives per query min 1, median 1, max 2", r.Stdout);
        string bad = Write("bad.jsonl", "{\"query\": \"Hva koster kaffen?\", \"pos\": [\"Ti kroner.\"], \"neg\": [3]}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "inspect", bad), 1, $"{bad}:1: key 'neg': entry 0 is a number, not a text");
    }
}
