namespace Skald.Cli.Tests;

/// <summary>
/// A user's file that is empty or not what the verb reads is one line in user words naming the file: a JSON file read
/// whole says "FILE: empty" or "FILE: not JSON (line L, column C): ..." (was the parser's "does not contain any JSON
/// tokens ... LineNumber: 0 | BytePositionInLine: 0"), a data file without rows says training's "FILE: no data rows".
/// </summary>
[Collection(InProcessSkaldCollection.Name)]
public sealed class EmptyAndNotJsonFileTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Write(string name, string text) => TestPaths.WriteFile(dir, name, text);

    [Fact]
    public void ATextFileGivenAsTheTokenizerIsNotJsonAtItsFirstCharacter()
    {
        string texts = Write("texts.txt", "Hei verden\n"), input = Write("input.txt", "hei\n");
        var r = InProcessSkald.Capture("tokenize", "--tokenizer", texts, "--input", input, "--output", Path.Combine(dir, "ids.jsonl"));
        SkaldProcess.AssertUserError(r, 1, $"{texts}: not JSON (line 1, column 1): 'H' is an invalid start of a value.");
        Assert.DoesNotContain("LineNumber", r.Stderr);
        Assert.DoesNotContain("BytePositionInLine", r.Stderr);
    }

    [Fact]
    public void AnEmptySuiteIsEmpty()
    {
        string suite = Write("empty.json", "");
        var r = InProcessSkald.Capture("benchmark", "--models", "bm25", "--suite", suite, "--output", Path.Combine(dir, "r"), "--no-cache");
        SkaldProcess.AssertUserError(r, 1, $"{suite}: empty");
        Assert.DoesNotContain("JSON tokens", r.Stderr);
        Assert.DoesNotContain("LineNumber", r.Stderr);
    }

    [Fact]
    public void InspectingAnEmptyDataFileIsNoDataRows()
    {
        string empty = Write("empty.jsonl", "");
        var r = InProcessSkald.Capture("data", "inspect", empty);
        SkaldProcess.AssertUserError(r, 1, $"{empty}: no data rows");
        Assert.DoesNotContain("0 rows", r.Stdout);
    }
}
