using Skald.Models;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Tests;

/// <summary>
/// An index built, added to and searched from code with Skald.Retrieval alone (<see cref="EncoderEmbeddingModel"/>,
/// <see cref="TextIndex"/>): documents embedded with the model's passage prompt, queries with its query prompt (the
/// fixture model's config_sentence_transformers.json names both), as <c>skald index build</c> and <c>skald search</c> do.
/// </summary>
public sealed class TextIndexTests
{
    private static readonly string ModelFolder = TestPaths.FixtureModel("bert-cased-mean");

    internal static readonly IndexRecord[] Rows =
    [
        TextIndex.Record("ferie", "Ferien avtales med nærmeste leder innen 1. april.", "Ferie"),
        TextIndex.Record("lonn", "Lønn utbetales den 20. hver måned."),
        TextIndex.Record("hytte", "Hytta på Geilo kan leies av alle ansatte."),
    ];

    private static float[] Unit(float[] v)
    {
        double norm = Math.Sqrt(v.Sum(x => (double)x * x));
        return [.. v.Select(x => (float)(x / norm))];
    }

    private static double Dot(ReadOnlySpan<float> a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < b.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    [Fact]
    public void QueriesAndDocumentsGetTheModelsPromptsByDefaultAndByName()
    {
        using var encoder = SentenceEncoder.Load(ModelFolder);
        string[] texts = ["Når må ferien avtales?"];
        var byDefault = new EncoderEmbeddingModel(encoder);
        Assert.Equal(encoder.Encode(texts, new EncodeOptions { PromptName = "query" })[0], byDefault.Embed(texts, TextRole.Query)[0]);
        Assert.Equal(encoder.Encode(texts, new EncodeOptions { PromptName = "passage" })[0], byDefault.Embed(texts, TextRole.Document)[0]);
        var swapped = new EncoderEmbeddingModel(encoder, queryPromptName: "passage", documentPromptName: "");
        Assert.Equal(encoder.Encode(texts, new EncodeOptions { PromptName = "passage" })[0], swapped.EmbedQuery(texts[0]));
        Assert.Equal(encoder.Encode(texts)[0], swapped.Embed(texts, TextRole.Document)[0]);
        Assert.NotEqual(encoder.Encode(texts)[0], byDefault.EmbedQuery(texts[0])); // the prompt changes the vector
    }

    [Fact]
    public void APromptNameTheModelLacksIsRefusedNamingItAndTheModelsPrompts()
    {
        using var encoder = SentenceEncoder.Load(ModelFolder);
        var e = Assert.Throws<ArgumentException>(() => new EncoderEmbeddingModel(encoder, queryPromptName: "spørring"));
        Assert.Equal("queryPromptName", e.ParamName);
        Assert.Contains(ModelFolder, e.Message);
        Assert.Contains("\"spørring\"", e.Message);
        Assert.Contains("query, passage", e.Message);
    }

    [Fact]
    public void AnIndexBuiltFromCodeHoldsThePassageRowsAndRanksByTheQueryVector()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var encoder = SentenceEncoder.Load(ModelFolder);
        var model = new EncoderEmbeddingModel(encoder);
        var manifest = TextIndex.Build(folder, model, Rows, language: "nb");
        Assert.Equal(Path.GetFullPath(ModelFolder), manifest.Model);

        using var index = TextIndex.Open(folder, model);
        Assert.Equal(3, index.LiveCount);
        var rows = Rows.Select(r => Unit(encoder.Encode([r.FullText], new EncodeOptions { PromptName = "passage" })[0])).ToArray();
        for (int r = 0; r < rows.Length; r++)
        {
            for (int d = 0; d < rows[r].Length; d++) Assert.Equal(rows[r][d], index.Vector(r)[d], 5);
        }
        const string query = "Når må ferien avtales?";
        var q = Unit(encoder.Encode([query], new EncodeOptions { PromptName = "query" })[0]);
        var expected = Enumerable.Range(0, rows.Length).OrderByDescending(r => Dot(rows[r], q)).Select(r => Rows[r].Id).ToArray();
        var dense = TextIndex.Search(index, model, query, SearchMode.Dense, topK: 3);
        Assert.Equal(expected, dense.Select(h => h.Record.Id));
        Assert.Equal(Dot(rows[Array.IndexOf(Rows.Select(r => r.Id).ToArray(), dense[0].Record.Id)], q), dense[0].Score, 4);

        var words = TextIndex.Search(index, model, "Geilo", SearchMode.Bm25, topK: 3);
        Assert.Equal("hytte", Assert.Single(words).Record.Id); // only that row holds the word
    }

    [Fact]
    public void AddingFromCodeAppendsNewRowsAndReplacesARowWithTheSameId()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = EncoderEmbeddingModel.Load(ModelFolder);
        TextIndex.Build(folder, model, Rows);
        var (added, replaced) = TextIndex.Add(folder, model,
            [TextIndex.Record("kantine", "Kantina er åpen fra 11 til 13."), TextIndex.Record("lonn", "Lønn utbetales den 25. hver måned.")]);
        Assert.Equal((2, 1), (added, replaced));
        using var index = SearchIndex.Open(folder);
        Assert.Equal(4, index.LiveCount);
        Assert.Equal("lonn", Assert.Single(TextIndex.Search(index, model, "25.", SearchMode.Bm25)).Record.Id);
        Assert.Equal("kantine", Assert.Single(TextIndex.Search(index, model, "Kantina", SearchMode.Bm25)).Record.Id);
    }

    [Fact]
    public void AddingFromCodeWithReplaceDeletedReusesTheDeletedRowsSlotsOfAnHnswIndex()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = EncoderEmbeddingModel.Load(ModelFolder);
        IndexBuilder.Build(folder, model, model.ModelPath, Rows, new Bm25Options(), "nb", 0, 0, hnsw: new HnswOptions { M = 4 });
        string graph = Path.Combine(folder, IndexWriter.HnswFile);
        long graphBytes = new FileInfo(graph).Length;
        Assert.Equal(1, IndexBuilder.Delete(folder, ["hytte"], []));
        var (added, replaced) = TextIndex.Add(folder, model, [TextIndex.Record("kantine", "Kantina er åpen fra 11 til 13.")], replaceDeleted: true);
        Assert.Equal((1, 0), (added, replaced));
        using (var index = SearchIndex.Open(folder))
        {
            Assert.Equal(3, index.Records.Count); // the new row took the deleted row's slot
            Assert.Empty(index.Deleted);
            Assert.Equal(["ferie", "kantine", "lonn"], index.Records.Select(r => r.Id).Order(StringComparer.Ordinal));
            Assert.Equal("kantine", Assert.Single(TextIndex.Search(index, model, "Kantina", SearchMode.Bm25)).Record.Id);
        }
        Assert.Equal(graphBytes, new FileInfo(graph).Length);

        string plain = Path.Combine(TestPaths.NewTempDir(), "idx"); // no graph: nothing keeps deleted rows to reuse
        TextIndex.Build(plain, model, Rows);
        var e = Assert.Throws<EvaluationException>(() => TextIndex.Add(plain, model, [TextIndex.Record("kantine", "Kantina.")], replaceDeleted: true));
        Assert.StartsWith($"{plain}: --replace-deleted is for an HNSW index", e.Message);
    }

    [Fact]
    public void OpeningWithTheModelRefusesAnIndexOfAnotherModelNamingBoth()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using (var model = EncoderEmbeddingModel.Load(ModelFolder)) TextIndex.Build(folder, model, Rows);
        using (var copy = EncoderEmbeddingModel.Load(TestPaths.CopyOfFixtureModel("bert-cased-mean")))
        using (var index = TextIndex.Open(folder, copy)) // the same files elsewhere: the same model
            Assert.Equal(3, index.LiveCount);
        string other = TestPaths.FixtureModel("bert-uncased-max");
        using var another = EncoderEmbeddingModel.Load(other);
        var e = Assert.Throws<ArgumentException>(() => TextIndex.Open(folder, another));
        Assert.Equal("model", e.ParamName);
        Assert.StartsWith(folder + ": the index was built with the model " + Path.GetFullPath(ModelFolder), e.Message);
        Assert.Contains(Path.GetFullPath(other), e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => TextIndex.Open(Path.Combine(folder, "nowhere"), another));
    }

    [Fact]
    public void AModelThatLoadedItsEncoderDisposesIt()
    {
        var model = EncoderEmbeddingModel.Load(ModelFolder);
        model.Dispose();
        Assert.True(model.Encoder.IsDisposed);
        using var encoder = SentenceEncoder.Load(ModelFolder);
        new EncoderEmbeddingModel(encoder).Dispose();
        Assert.False(encoder.IsDisposed);
    }
}
