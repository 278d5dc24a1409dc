using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Opening an index folder damaged by hand: a missing row or BM25 file is named like the other missing files
/// ("missing (index damaged?)"), and a similarity the search would misread is refused instead of taken for cosine.
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

    [Fact]
    public void AnUnknownSimilarityIsRefused()
    {
        string folder = Build(), manifest = Path.Combine(folder, IndexWriter.ManifestFile);
        string text = File.ReadAllText(manifest);
        Assert.Contains("\"similarity\": \"cosine\"", text);
        File.WriteAllText(manifest, text.Replace("\"similarity\": \"cosine\"", "\"similarity\": \"foo\""));
        var e = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder).Dispose());
        Assert.Equal($"{manifest}: similarity \"foo\", expected cosine or dot", e.Message);
    }
}
