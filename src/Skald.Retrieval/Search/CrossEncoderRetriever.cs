using Skald.Models;
using Skald.Models.CrossEncoders;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Search;

/// <summary>
/// Retrieval with a cross-encoder (a reranker): a first stage (BM25, a dense model, a hybrid) finds each query's top
/// <see cref="Candidates"/>, and the cross-encoder reads every (query, document) pair and orders them by its score, as
/// MTEB's two-stage retrieval and sentence-transformers' retrieve-and-rerank do. On a reranking task (given
/// candidates, <see cref="ICandidateScorer"/>) the cross-encoder scores those and no first stage runs. Documents are
/// title + " " + text, cut with the query to the model's length (longest first). Ties: document id descending.
/// </summary>
/// <param name="model">The cross-encoder (one label).</param>
/// <param name="firstStage">What finds the candidates (null: reranking tasks only).</param>
/// <param name="candidates">How many of the first stage's hits are reranked per query.</param>
/// <param name="options">Batch size and length for the cross-encoder.</param>
public sealed class CrossEncoderRetriever(CrossEncoder model, IRetrievalModel? firstStage = null, int candidates = 100,
    CrossEncoderOptions? options = null) : IRetrievalModel, ICandidateScorer
{
    /// <summary>The cross-encoder.</summary>
    public CrossEncoder Model { get; } = model.NumLabels == 1 ? model
        : throw new ArgumentException($"{model.Source}: a classifier with {model.NumLabels} labels, not a reranker (one score per pair)", nameof(model));

    /// <summary>How many first-stage hits are reranked per query.</summary>
    public int Candidates { get; } = candidates >= 1 ? candidates : throw new ArgumentOutOfRangeException(nameof(candidates));

    /// <inheritdoc/>
    public string Name => (firstStage is null ? "" : firstStage.Name + ">") + ModelNames.Of(Model.Source);

    /// <inheritdoc/>
    /// <remarks>The first stage's view for the task (a new retriever only when it has one).</remarks>
    public IEvaluationModel ForTask(string taskName, string? taskType) =>
        firstStage?.ForTask(taskName, taskType) is IRetrievalModel first && !ReferenceEquals(first, firstStage)
            ? new CrossEncoderRetriever(Model, first, Candidates, options) : this;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata
    {
        get
        {
            var m = firstStage is null ? [] : firstStage.Metadata.ToDictionary(p => "first_stage." + p.Key, p => p.Value);
            m["reranker"] = Model.Source;
            m["reranker_max_length"] = Model.MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (firstStage is not null) m["rerank_candidates"] = Candidates.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return m;
        }
    }

    /// <inheritdoc/>
    public Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language)
    {
        SearchArguments.Check(corpus, queries, topK);
        if (firstStage is null)
            throw new EvaluationException(
                $"{Name} is a cross-encoder: it scores candidates, it does not search a corpus; evaluate it on a reranking task (top_ranked), or give a first stage (--model bm25 --rerank {Model.Source})");
        var tie = TieKeys.For(corpus);
        var first = firstStage.Search(corpus, queries, Candidates, language);
        var scores = ScoreCandidates(corpus, queries, [.. first.Select(h => h.Select(x => x.Index).ToArray())], language);
        return [.. first.Select((hits, qi) =>
        {
            var byDoc = new Dictionary<int, float>(hits.Length);
            for (int j = 0; j < hits.Length; j++) byDoc[hits[j].Index] = scores[qi][j];
            return Fusion.Rerank(hits, d => byDoc[d], topK, tie);
        })];
    }

    /// <inheritdoc/>
    public float[][] ScoreCandidates(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, IReadOnlyList<int[]> candidates, string? language)
    {
        // Every pair of every query in one call: the model batches them by length.
        var pairs = new List<(string, string)>();
        foreach (var (c, qi) in candidates.Select((c, qi) => (c, qi)))
            foreach (int d in c) pairs.Add((queries[qi], corpus[d].FullText));
        var flat = Model.Score(pairs, options);
        var result = new float[candidates.Count][];
        int k = 0;
        for (int qi = 0; qi < candidates.Count; qi++)
        {
            result[qi] = flat.AsSpan(k, candidates[qi].Length).ToArray();
            k += candidates[qi].Length;
        }
        return result;
    }
}
