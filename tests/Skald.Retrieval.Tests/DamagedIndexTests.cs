using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Opening an index folder damaged by hand: a missing row or BM25 file is named like the other missing files
/// ("missing (index damaged?)"), and a similarity the search would misread is refused instead of taken for cosine; a
/// text-less or unreadable file's entry (no_text, unreadable) or a reading setting without its values is one line naming it, not a crash of the
/// sync that reads it.
/// </summary>
public sealed class DamagedIndexTests
{
    private static string Build()
    {
        var (model, records, _) = IvfIndexTests.Corpus(12);
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-damaged").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0);
        return folder;
    }

    [Theory]
    [InlineData(IndexWriter.EmbeddingsFile)]
    [InlineData(IndexWriter.Bm25File)]
    public void AMissingFileIsNamed(string file)
    {
        string folder = Build();
        using (SearchIndex.Open(folder)) { } // whole, it opens
        File.Delete(Path.Combine(folder, file));
        var e = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder).Dispose());
        Assert.Equal($"{Path.Combine(folder, file)}: missing (index damaged?)", e.Message);
    }

    // A fresh index whose manifest has `from` replaced by `to`, opened: the one line it fails with, the manifest's path before it.
    private static void RefusedWith(string from, string to, string expected)
    {
        string folder = Build(), manifest = Path.Combine(folder, IndexWriter.ManifestFile);
        string text = File.ReadAllText(manifest);
        Assert.Contains(from, text);
        File.WriteAllText(manifest, text.Replace(from, to));
        var e = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder).Dispose());
        Assert.Equal($"{manifest}: {expected}", e.Message);
    }

    [Fact]
    public void AnUnknownSimilarityIsRefused() =>
        RefusedWith("\"similarity\": \"cosine\"", "\"similarity\": \"foo\"", "similarity \"foo\", expected cosine, dot, euclidean or manhattan");

    [Theory]
    [InlineData("[{\"source\": \"scan.pdf\", \"ocr\": \"off\"}]", "no_text[0]: sha256 is missing (each entry: source, sha256, ocr)")]
    [InlineData("[{\"sha256\": \"00\", \"ocr\": \"off\"}]", "no_text[0]: source is missing (each entry: source, sha256, ocr)")]
    [InlineData("[{\"source\": \"scan.pdf\", \"sha256\": \"00\"}]", "no_text[0]: ocr is missing (each entry: source, sha256, ocr)")]
    [InlineData("[null]", "no_text[0]: expected an object (source, sha256, ocr), found null")]
    public void ATextlessEntryWithoutItsValuesIsOneLine(string entries, string expected) =>
        RefusedWith("\"similarity\":", $"\"no_text\": {entries}, \"similarity\":", expected);

    [Theory]
    [InlineData("[{\"sha256\": \"00\", \"reason\": \"cannot read\"}]", "unreadable[0]: source is missing (each entry: source, reason)")]
    [InlineData("[{\"source\": \"scan.pdf\"}]", "unreadable[0]: reason is missing (each entry: source, reason)")]
    [InlineData("[null]", "unreadable[0]: expected an object (source, reason), found null")]
    public void AnUnreadableEntryWithoutItsValuesIsOneLine(string entries, string expected) =>
        RefusedWith("\"similarity\":", $"\"unreadable\": {entries}, \"similarity\":", expected);

    [Fact]
    public void AReadingSettingWithoutAValueIsOneLine() =>
        RefusedWith("\"similarity\":", "\"reading\": {\"ocr\": null}, \"similarity\":", "reading.ocr: expected a string, found null");
}
