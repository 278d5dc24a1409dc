using Skald.Evaluation.Search;
using Skald.Models.Pipeline;

namespace Skald.Evaluation.Models;

/// <summary>What a text is, for models that embed queries and documents differently (prompts).</summary>
public enum TextRole
{
    /// <summary>A symmetric text (STS, classification, clustering, bitext).</summary>
    Text,
    /// <summary>A search query.</summary>
    Query,
    /// <summary>A document to be retrieved.</summary>
    Document,
}

/// <summary>Anything an evaluator can evaluate: an embedding model or a retrieval system (BM25).</summary>
public interface IEvaluationModel
{
    /// <summary>Name used in results and reports.</summary>
    string Name { get; }

    /// <summary>Facts about the model written into results (backend, stemmer, prompts...).</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }
}

/// <summary>A model that turns texts into vectors.</summary>
public interface IEmbeddingModel : IEvaluationModel
{
    /// <summary>Vector width.</summary>
    int Dimension { get; }

    /// <summary>The model's own similarity function.</summary>
    SimilarityFunction Similarity { get; }

    /// <summary>Embeds texts in the given role; result i belongs to text i.</summary>
    float[][] Embed(IReadOnlyList<string> texts, TextRole role);

    /// <summary>
    /// Splits a text into consecutive pieces that each fit the model's maximum length in <paramref name="role"/>
    /// (one piece when it already fits).
    /// </summary>
    IReadOnlyList<string> SplitToFit(string text, TextRole role);
}

/// <summary>A document of a retrieval corpus.</summary>
/// <param name="Id">Document id (BEIR <c>_id</c>).</param>
/// <param name="Title">Title, may be empty.</param>
/// <param name="Text">Body text.</param>
public sealed record CorpusDocument(string Id, string Title, string Text)
{
    /// <summary>Title and text as one string, as BEIR/MTEB feed them to models ("title text", or text alone).</summary>
    public string FullText => Title.Length == 0 ? Text : Title + " " + Text;
}

/// <summary>Tie keys for search: document i's rank in ordinal id order, so that "higher key wins" means
/// "document id descending wins", trec_eval's order for equal scores.</summary>
public static class TieKeys
{
    /// <summary>The keys of a corpus.</summary>
    public static int[] For(IReadOnlyList<CorpusDocument> corpus)
    {
        var order = Enumerable.Range(0, corpus.Count).ToArray();
        Array.Sort(order, (a, b) => string.CompareOrdinal(corpus[a].Id, corpus[b].Id));
        var keys = new int[corpus.Count];
        for (int r = 0; r < order.Length; r++) keys[order[r]] = r;
        return keys;
    }
}

/// <summary>A retrieval system that ranks corpus documents for queries itself (BM25, hybrids).</summary>
public interface IRetrievalModel : IEvaluationModel
{
    /// <summary>
    /// Up to <paramref name="topK"/> hits (corpus indices, best first; ties by document id descending) per query.
    /// <paramref name="language"/> is the task's ISO 639-1 code (picks a stemmer), or null.
    /// </summary>
    Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language);
}
