using Skald.Models;
using Skald.Models.CrossEncoders;
using Skald.Models.Modules;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;
using Skald.Retrieval.Sparse;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A search refuses a bad argument before it embeds anything (a forward pass, or with a remote model a request): each
/// refused call below leaves the embedder's count of calls where it was, while the same call with good arguments moves
/// it (so the count is watched). <see cref="TextIndex.Search(SearchIndex, Models.EncoderEmbeddingModel, string, SearchMode, int, CancellationToken)"/> is counted by its encoder's tokenizations, the
/// retrievers by a counting <see cref="IEmbeddingModel"/>.
/// </summary>
public sealed class EarlyArgumentCheckTests
{
    private static readonly Lazy<EncoderEmbeddingModel> Model = new(() => new EncoderEmbeddingModel(SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"))));
    private static readonly Lazy<SearchIndex> Opened = new(() =>
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        TextIndex.Build(folder, Model.Value, TextIndexTests.Rows);
        return TextIndex.Open(folder, Model.Value);
    });

    [Theory]
    [InlineData(0, SearchMode.Hybrid, "topK")]
    [InlineData(-1, SearchMode.Dense, "topK")]
    [InlineData(5, (SearchMode)7, "mode")]
    public void TextIndexSearchRefusesABadArgumentBeforeEmbeddingTheQuery(int topK, SearchMode mode, string param)
    {
        var encoder = Model.Value.Encoder;
        var opened = Opened.Value; // built (its rows embedded) before the count is read, whichever case runs first
        int before = encoder.Tokenizations;
        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => TextIndex.Search(opened, Model.Value, "Når må ferien avtales?", mode, topK));
        Assert.Equal(param, thrown.ParamName);
        Assert.Equal(before, encoder.Tokenizations);
        Assert.NotEmpty(TextIndex.Search(opened, Model.Value, "Når må ferien avtales?", SearchMode.Dense, 5));
        Assert.Equal(before + 1, encoder.Tokenizations); // a good search embeds its query once
    }

    [Fact]
    public void TextIndexSearchRefusesADisposedIndexBeforeEmbeddingTheQuery()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        TextIndex.Build(folder, Model.Value, TextIndexTests.Rows);
        var index = TextIndex.Open(folder, Model.Value);
        var vector = Model.Value.EmbedQuery("ferie");
        Assert.NotEmpty(index.Search("ferie", vector, SearchMode.Dense, 3));
        index.Dispose();
        var encoder = Model.Value.Encoder;
        int before = encoder.Tokenizations;
        Assert.Throws<ObjectDisposedException>(() => TextIndex.Search(index, Model.Value, "Når må ferien avtales?", SearchMode.Dense, 5));
        Assert.Equal(before, encoder.Tokenizations); // refused before the query was embedded
        // the index's own reads refuse too, rather than reading the mapping that is gone
        Assert.Throws<ObjectDisposedException>(() => index.Search("ferie", vector, SearchMode.Hybrid, 3));
        Assert.Throws<ObjectDisposedException>(() => index.Vector(0).Length);
        Assert.Throws<ObjectDisposedException>(index.ThrowIfCut);
        index.Dispose(); // a second time is nothing
    }

    [Fact]
    public void SearchIndexSearchRefusesAnUndefinedModeAsItRefusesABadTopK()
    {
        var vector = Model.Value.EmbedQuery("ferie");
        Assert.Equal("mode", Assert.Throws<ArgumentOutOfRangeException>(() => Opened.Value.Search("ferie", vector, (SearchMode)(-1), 5)).ParamName);
        Assert.Equal("topK", Assert.Throws<ArgumentOutOfRangeException>(() => Opened.Value.Search("ferie", vector, SearchMode.Dense, 0)).ParamName);
    }

    private static readonly CorpusDocument[] Corpus =
        [new("a", "", "ferie"), new("b", "", "lønn"), new("c", "", "ferie og lønn")];

    private static readonly string[] Queries = ["ferie"];

    // (a retriever over the counting model, what it counts)
    private static (IRetrievalModel Retriever, Counting Model) Retriever(string kind)
    {
        var model = new Counting(new TableModel(new Dictionary<string, float[]>
        {
            ["ferie"] = [1, 0, 0], ["lønn"] = [0, 1, 0], ["ferie og lønn"] = [0.7f, 0.7f, 0],
        }));
        IRetrievalModel retriever = kind switch
        {
            "dense" => new DenseRetriever(model),
            "sparse" => new SparseRetriever(model),
            "hybrid" => new HybridRetriever(new Bm25Model(), new DenseRetriever(model)),
            "hybrid rerank" => new HybridRetriever(new Bm25Model(), new DenseRetriever(model), FusionOptions.Default with { Mode = HybridMode.Rerank }),
            _ => new CrossEncoderRetriever(Reranker.Value, new DenseRetriever(model)),
        };
        return (retriever, model);
    }

    private static readonly Lazy<CrossEncoder> Reranker = new(() => CrossEncoder.Load(TestPaths.FixtureModel("ce-bert")));

    public static TheoryData<string> Kinds => ["dense", "sparse", "hybrid", "hybrid rerank", "cross-encoder"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ARetrieverRefusesABadArgumentBeforeEmbeddingAnything(string kind)
    {
        var (retriever, model) = Retriever(kind);
        Assert.Equal("topK", Assert.Throws<ArgumentOutOfRangeException>(() => retriever.Search(Corpus, Queries, 0, "nb")).ParamName);
        Assert.Equal("topK", Assert.Throws<ArgumentOutOfRangeException>(() => retriever.Search(Corpus, Queries, -3, "nb")).ParamName);
        Assert.Equal("queries", Assert.Throws<ArgumentException>(() => retriever.Search(Corpus, ["ferie", null!], 2, "nb")).ParamName);
        Assert.Equal("corpus", Assert.Throws<ArgumentException>(() => retriever.Search([Corpus[0], null!], Queries, 2, "nb")).ParamName);
        Assert.Equal("queries", Assert.Throws<ArgumentNullException>(() => retriever.Search(Corpus, null!, 2, "nb")).ParamName);
        Assert.Equal("corpus", Assert.Throws<ArgumentNullException>(() => retriever.Search(null!, Queries, 2, "nb")).ParamName);
        Assert.Equal(0, model.Calls);
        Assert.Equal(2, retriever.Search(Corpus, Queries, 2, "nb")[0].Length);
        Assert.True(model.Calls > 0); // a good search embeds
    }

    /// <summary>An embedding model that counts the calls that embed texts.</summary>
    private sealed class Counting(IEmbeddingModel inner) : IEmbeddingModel
    {
        public int Calls { get; private set; }
        public string Name => inner.Name;
        public IReadOnlyDictionary<string, string> Metadata => inner.Metadata;
        public int Dimension => inner.Dimension;
        public SimilarityFunction Similarity => inner.Similarity;
        public IReadOnlyList<string> SplitToFit(string text, TextRole role) => inner.SplitToFit(text, role);

        public float[][] Embed(IReadOnlyList<string> texts, TextRole role)
        {
            Calls++;
            return inner.Embed(texts, role);
        }
    }
}
