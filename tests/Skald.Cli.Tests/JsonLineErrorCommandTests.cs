namespace Skald.Cli.Tests;

/// <summary>
/// A JSON-lines line that does not parse is named the same way by every verb that reads one: FILE:LINE, then the column
/// of that line where it goes wrong, in characters counted from 1 as a JSON file read whole says it (was the byte). The
/// parser's own position ("LineNumber: 0 | BytePositionInLine: 9") counts lines from 0 within the one line it was given,
/// so it contradicted the file's line number and is left out.
/// </summary>
public sealed class JsonLineErrorCommandTests
{
    [Fact]
    public void EncodeNamesTheLineAndTheColumnOfABrokenJsonlText()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "texts.jsonl");
        const string good = "{\"text\": \"hei\"}", before = "{\"title\": \"Ærø\", \"text\": "; // two characters of two bytes each
        File.WriteAllText(input, $"{good}\n{before}broken}}\n");
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input,
            "--output", Path.Combine(dir, "o.npy"));
        SkaldProcess.AssertUserError(r, 1, $"{input}:2: invalid JSON at column {before.Length + 1} (");
        Assert.DoesNotContain("LineNumber", r.Stderr);
    }

    [Fact]
    public void EvaluateNamesTheLineAndTheColumnOfABrokenTaskRow()
    {
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "triplets.jsonl");
        const string good = "{\"anchor\": \"a\", \"positive\": \"b\", \"negative\": \"c\"}";
        const string before = "{\"anchor\": \"a\", \"positive\": \"b\", \"negative\": ";
        File.WriteAllText(task, $"{good}\n{good}\n{before}x}}\n");
        var r = InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", task, "--type", "triplets");
        SkaldProcess.AssertUserError(r, 1, $"{task}:3: invalid JSON at column {before.Length + 1} (");
        Assert.DoesNotContain("LineNumber", r.Stderr);
    }

    [Fact]
    public void GenerateNamesTheLineAndTheColumnOfABrokenInputRow()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "prompts.jsonl");
        const string good = "{\"prompt\": \"hei\"}", before = "{\"prompt\": \"blåbær\", \"x\": "; // two characters of two bytes each
        File.WriteAllText(input, $"{good}\n{before}broken}}\n");
        var r = InProcessSkald.Capture("generate", "--model", TestPaths.FixtureModel("decoder-qwen2"), "--input", input,
            "--output", Path.Combine(dir, "out.jsonl"));
        SkaldProcess.AssertUserError(r, 1, $"{input}:2: invalid JSON at column {before.Length + 1} (");
        Assert.DoesNotContain("LineNumber", r.Stderr);
    }
}
