using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index add --sync</c> over a copy of the sample documents: an edited file's rows replaced, a deleted file's
/// rows gone, a new file added, the unchanged files' rows kept as they were (their records and vectors byte for byte,
/// not embedded again), a second sync writing nothing; --sync with --corpus refused in one line.
/// </summary>
public sealed class IndexSyncCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    private static (string Docs, string Index) Built()
    {
        string docs = SampleDocuments.Copy();
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", index, "--language", "nb", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return (docs, index);
    }

    private static Dictionary<string, (IndexRecord Record, float[] Vector)> Rows(string index)
    {
        using var open = SearchIndex.Open(index);
        return Enumerable.Range(0, open.Records.Count).Where(r => !open.Deleted.Contains(r))
            .ToDictionary(r => open.Records[r].Id, r => (open.Records[r], open.Vector(r).ToArray()), StringComparer.Ordinal);
    }

    [Fact]
    public void SyncReplacesEditedAddsNewDropsDeletedAndKeepsTheRest()
    {
        var (docs, index) = Built();
        var before = Rows(index);
        File.WriteAllText(Path.Combine(docs, "sykkel.txt"), "Sykkelboden er flyttet til kjelleren. Ta heisen ned og følg skiltene.");
        File.Delete(Path.Combine(docs, "kaffe.md"));
        File.WriteAllText(Path.Combine(docs, "parkering.txt"), "Parkeringsplassen er forbeholdt besøkende før klokka ni.");

        var r = InProcessSkald.Capture("index", "add", "--index", index, "--documents", docs, "--sync");

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("4 files unchanged, 1 changed, 1 new, 1 removed", r.Stderr, StringComparison.Ordinal);
        var after = Rows(index);
        Assert.DoesNotContain(after.Keys, id => id.StartsWith("kaffe.md#", StringComparison.Ordinal));
        Assert.Contains("kjelleren", after["sykkel.txt#c0"].Record.Text, StringComparison.Ordinal);
        Assert.Contains("parkering.txt#c0", after.Keys);
        foreach (var (id, (record, vector)) in before.Where(b => b.Value.Record.Source is not ("sykkel.txt" or "kaffe.md")))
        {
            Assert.Equal(record, after[id].Record);
            Assert.Equal(vector, after[id].Vector);
        }

        string manifest = File.ReadAllText(Path.Combine(index, IndexWriter.ManifestFile));
        var again = InProcessSkald.Capture("index", "add", "--index", index, "--documents", docs, "--sync");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("in step with the documents (6 files unchanged); nothing written", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(index, IndexWriter.ManifestFile)));
    }

    [Fact]
    public void SyncOfACorpusIsRefusedInOneLine()
    {
        var (_, index) = Built();
        var r = InProcessSkald.Capture("index", "add", "--index", index, "--corpus", Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "retrieval"), "--sync");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--sync is for --documents", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void SyncReadsAsTheIndexWasBuiltAndRefusesOtherReadingInOneLine()
    {
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(docs);
        string faq = Path.Combine(docs, "faq.jsonl");
        File.WriteAllLines(faq, ["""{"body": "Nettverket heter Kontor og passordet står på tavla.", "text": "feil kolonne"}"""]);
        File.WriteAllText(Path.Combine(docs, "ferie.txt"), "Ferien planlegges i mars. Søknad om ferie sendes til lederen din.");
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var built = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", index, "--text-column", "body", "--ocr", "off", "-q");
        Assert.True(built.ExitCode == 0, built.Stderr);
        File.WriteAllLines(faq, ["""{"body": "Nettverket heter Gjest og passordet står på tavla.", "text": "feil kolonne"}"""]);

        var refused = InProcessSkald.Capture("index", "add", "--index", index, "--documents", docs, "--sync", "--text-column", "text");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("read with --text-column body", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Stderr, StringComparison.Ordinal);
        var ocr = InProcessSkald.Capture("index", "add", "--index", index, "--documents", docs, "--sync", "--ocr", "auto");
        Assert.NotEqual(0, ocr.ExitCode);
        Assert.Contains("read with --ocr off", ocr.Stderr, StringComparison.Ordinal);

        var r = InProcessSkald.Capture("index", "add", "--index", index, "--documents", docs, "--sync"); // no --text-column: the index's
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("1 file unchanged, 1 changed", r.Stderr, StringComparison.Ordinal);
        var rows = Rows(index);
        Assert.Contains("Gjest", rows["faq.jsonl:1#c0"].Record.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ABuildRecordsAFileWithoutTextSoTheSyncDoesNotReadItAgain()
    {
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(docs);
        File.WriteAllText(Path.Combine(docs, "ferie.txt"), "Ferien planlegges i mars. Søknad om ferie sendes til lederen din.");
        File.WriteAllText(Path.Combine(docs, "tom.txt"), "");
        foreach (var f in Directory.GetFiles(docs)) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-1));
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var built = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", index, "--ocr", "off");
        Assert.True(built.ExitCode == 0, built.Stderr);
        Assert.Contains("tom.txt", built.Stderr, StringComparison.Ordinal); // the build says it skipped the file
        using (var open = SearchIndex.Open(index))
            Assert.Equal("tom.txt", Assert.Single(open.Manifest.NoText!).Source);

        var r = InProcessSkald.Capture("index", "add", "--index", index, "--documents", docs, "--sync");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("tom.txt", r.Stderr, StringComparison.Ordinal); // not read again
        Assert.Contains("2 files unchanged); nothing written", r.Stderr, StringComparison.Ordinal);
    }
}
