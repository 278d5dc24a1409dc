using System.Text.Json;
using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// A file that cannot be read, through the CLI: <c>index build</c> records it, <c>index add --sync</c> skips it while
/// it is unchanged and names how many it skipped so, and <c>index info --skipped</c> lists it with why (beside a file
/// without text); <c>index info</c> counts both.
/// </summary>
public sealed class IndexSyncUnreadableCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    [Fact]
    public void ASyncSkipsAnUnreadableFileNamesHowManyAndIndexInfoListsIt()
    {
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(docs);
        File.WriteAllText(Path.Combine(docs, "ferie.txt"), "Ferien planlegges i mars. Søknad om ferie sendes til lederen din.");
        File.WriteAllText(Path.Combine(docs, "tom.txt"), "");
        File.WriteAllBytes(Path.Combine(docs, "brudd.pdf"), "%PDF-1.4 dette er ikke en pdf"u8.ToArray());
        foreach (var f in Directory.GetFiles(docs)) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-1));
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var built = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", index, "--ocr", "off");
        Assert.True(built.ExitCode == 0, built.Stderr);
        Assert.Contains("skipped", built.Stderr, StringComparison.Ordinal);
        Assert.Contains("brudd.pdf: not a readable PDF", built.Stderr, StringComparison.Ordinal); // the build says why

        var r = InProcessSkald.Capture("index", "add", "--index", index, "--documents", docs, "--sync");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("brudd.pdf", r.Stderr, StringComparison.Ordinal); // not read again
        Assert.Contains("in step with the documents (2 files unchanged, 1 unreadable (skipped while unchanged; index info --skipped lists them)); nothing written",
            r.Stderr, StringComparison.Ordinal);

        var listed = InProcessSkald.Capture("index", "info", "--index", index, "--skipped", "--format", "json");
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        var files = JsonDocument.Parse(listed.Stdout).RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("source").GetString(), e.GetProperty("skipped").GetString(), e.GetProperty("reason").GetString())).ToList();
        Assert.Equal(2, files.Count);
        Assert.Equal(("brudd.pdf", "unreadable"), (files[0].Item1, files[0].Item2));
        Assert.StartsWith("not a readable PDF (", files[0].Item3, StringComparison.Ordinal);
        Assert.Equal(("tom.txt", "no_text", "no text (OCR: off)"), files[1]);
        var table = InProcessSkald.Capture("index", "info", "--index", index, "--skipped");
        Assert.Contains("brudd.pdf", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("not a readable PDF", table.Stdout, StringComparison.Ordinal);

        var info = JsonDocument.Parse(InProcessSkald.Capture("index", "info", "--index", index, "--format", "json").Stdout).RootElement;
        Assert.Equal((1, 1), (info.GetProperty("unreadable_files").GetInt32(), info.GetProperty("files_without_text").GetInt32()));
        using var open = SearchIndex.Open(index);
        Assert.Equal("brudd.pdf", Assert.Single(open.Manifest.Unreadable!).Source);
    }
}
