using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index add --documents</c> without --sync reads files as the index was built (index.json's <c>reading</c>):
/// --text-column and the OCR options not given are the index's, and given otherwise are refused in one line, as a sync
/// refuses them; before, a plain add read a .jsonl by the default column and took any OCR setting without a word.
/// </summary>
public sealed class IndexAddReadingCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    [Fact]
    public void APlainAddReadsAsTheIndexWasBuiltAndRefusesOtherReadingInOneLine()
    {
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(docs);
        File.WriteAllLines(Path.Combine(docs, "faq.jsonl"), ["""{"body": "Nettverket heter Kontor og passordet står på tavla.", "text": "feil kolonne"}"""]);
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var built = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", index, "--text-column", "body", "--ocr", "off", "-q");
        Assert.True(built.ExitCode == 0, built.Stderr);
        string more = Path.Combine(docs, "mer.jsonl");
        File.WriteAllLines(more, ["""{"body": "Skriveren finner du ved kantina i første etasje.", "text": "feil kolonne"}"""]);

        var ocr = InProcessSkald.Capture("index", "add", "--index", index, "--documents", more, "--ocr", "auto");
        Assert.NotEqual(0, ocr.ExitCode);
        Assert.Contains("read with --ocr off", ocr.Stderr, StringComparison.Ordinal);
        Assert.Contains("this add asks auto", ocr.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", ocr.Stderr, StringComparison.Ordinal);
        var column = InProcessSkald.Capture("index", "add", "--index", index, "--documents", more, "--text-column", "text");
        Assert.NotEqual(0, column.ExitCode);
        Assert.Contains("read with --text-column body", column.Stderr, StringComparison.Ordinal);

        var r = InProcessSkald.Capture("index", "add", "--index", index, "--documents", more); // no --text-column: the index's
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var open = SearchIndex.Open(index);
        Assert.Contains(open.Records, x => x.Source == "mer.jsonl" && x.Text.Contains("Skriveren", StringComparison.Ordinal));
        Assert.DoesNotContain(open.Records, x => x.Text.Contains("feil kolonne", StringComparison.Ordinal));
    }
}
