using Skald.Models.CrossEncoders;
using Skald.Retrieval;
using Skald.Retrieval.Data;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// sentence-transformers' CrossEncoderRerankingEvaluator: a cross-encoder scores each sample's (query, document) pairs
/// and orders the documents by score, reporting the means over the samples of <c>map</c>, <c>mrr@k</c> and
/// <c>ndcg@k</c> (the primary metric), as upstream computes them (<see cref="RankedListMetrics"/>: binary relevance, MAP
/// over the whole list, MRR and nDCG at k):
/// <list type="bullet">
/// <item>a <c>negative</c> sample's documents are its positives then its negatives;</item>
/// <item>a <c>documents</c> sample (a first stage's list) also scores that list in its own order, <c>base_map</c>,
/// <c>base_mrr@k</c>, <c>base_ndcg@k</c> (0 on all three when it holds no positive, else the positives it lacks counted
/// right after it); with <c>always_rerank_positives</c> (the default) the model orders every positive and the listed
/// documents that are not, so a positive the first stage missed can still come first, otherwise only the listed
/// documents, the positives among them relevant;</item>
/// <item>a sample left with no relevant document scores 0 and counts in the means; the <c>base_*</c> means are reported
/// when every sample is a <c>documents</c> sample (upstream reports them after a last sample that is one);</item>
/// <item>equal scores rank the later document first, as upstream's reversed argsort does for MRR (sklearn, which
/// upstream's nDCG and MAP come from, averages over ties instead; a model's scores seldom tie).</item>
/// </list>
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/cross_encoder/evaluation/reranking.py</remarks>
public sealed class CrossEncoderRerankingEvaluator
{
    private readonly int atK;
    private readonly bool alwaysRerankPositives;

    /// <summary>
    /// An evaluator of <paramref name="samples"/>; <paramref name="atK"/> is the cut-off of MRR and nDCG (upstream's
    /// <c>at_k</c>, 10), <paramref name="alwaysRerankPositives"/> upstream's <c>always_rerank_positives</c> (true; it
    /// changes only <c>documents</c> samples). A sample with both or neither of negative and documents is one line.
    /// </summary>
    public CrossEncoderRerankingEvaluator(IReadOnlyList<RerankingSample> samples, int atK = 10, bool alwaysRerankPositives = true)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfLessThan(atK, 1);
        for (int i = 0; i < samples.Count; i++)
        {
            if ((samples[i].Negative is null) == (samples[i].Documents is null))
                throw new ArgumentException($"reranking sample {i + 1}: give exactly one of negative and documents", nameof(samples));
        }
        Samples = samples;
        this.atK = atK;
        this.alwaysRerankPositives = alwaysRerankPositives;
    }

    /// <summary>The samples evaluated.</summary>
    public IReadOnlyList<RerankingSample> Samples { get; }

    /// <summary>nDCG at the cut-off, upstream's <c>primary_metric</c> (<c>ndcg@10</c>).</summary>
    public string PrimaryMetric => $"ndcg@{atK}";

    /// <summary>
    /// The samples of a reranking task, as <c>skald evaluate --type reranking</c> reads it: a file of rows
    /// (<see cref="RerankingLists"/>) or a BEIR folder with top_ranked candidates (its <paramref name="split"/>), at most
    /// <paramref name="limit"/> queries. Candidates in a first stage's order (<see cref="RetrievalData.CandidatesRanked"/>)
    /// are <c>documents</c> samples; any others <c>negative</c> samples, the candidates not judged relevant (grade 1 up)
    /// their negatives. Texts are a document's title and text (<see cref="Skald.Retrieval.Models.CorpusDocument.FullText"/>).
    /// </summary>
    public static IReadOnlyList<RerankingSample> LoadSamples(string path, int? limit = null, string split = RetrievalData.DefaultSplit)
    {
        var data = File.Exists(path) ? RerankingLists.Load(path, limit) : RetrievalData.Load(path, split, limit);
        if (data.Candidates is null)
            throw new EvaluationException($"{path}: a reranking task needs each query's candidates (top_ranked/{split}.jsonl or top_ranked.jsonl)");
        var samples = new List<RerankingSample>(data.Queries.Count);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < data.Corpus.Count; i++) index[data.Corpus[i].Id] = i;
        for (int q = 0; q < data.Queries.Count; q++)
        {
            var judged = data.Qrels[data.Queries[q].Id];
            var positive = judged.Where(j => j.Value >= 1).Select(j => data.Corpus[index[j.Key]].FullText).ToList();
            var listed = data.Candidates[q];
            samples.Add(data.CandidatesRanked
                ? new RerankingSample(data.Queries[q].Text, positive, Documents: [.. listed.Select(d => data.Corpus[d].FullText)])
                : new RerankingSample(data.Queries[q].Text, positive,
                    Negative: [.. listed.Where(d => judged.GetValueOrDefault(data.Corpus[d].Id) < 1).Select(d => data.Corpus[d].FullText)]));
        }
        return samples;
    }

    /// <summary>The means, scored by <paramref name="model"/> (a one-label cross-encoder) with <paramref name="options"/>.</summary>
    public SortedDictionary<string, double> Evaluate(CrossEncoder model, CrossEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Evaluate(pairs => model.Score(pairs, options));
    }

    /// <summary>
    /// The means, each (query, document) pair scored by <paramref name="score"/> (one call for every pair of every
    /// sample; one score per pair, higher more relevant). NaN without samples, as numpy's mean of nothing.
    /// </summary>
    public SortedDictionary<string, double> Evaluate(Func<IReadOnlyList<(string Query, string Document)>, float[]> score)
    {
        ArgumentNullException.ThrowIfNull(score);
        var lists = Samples.Select(Candidates).ToList();
        var pairs = new List<(string Query, string Document)>();
        for (int i = 0; i < Samples.Count; i++)
            if (lists[i].Relevant.Count > 0) pairs.AddRange(lists[i].Docs.Select(d => (Samples[i].Query, d)));
        var scores = score(pairs);
        if (scores.Length != pairs.Count) throw new InvalidOperationException($"{scores.Length} scores for {pairs.Count} pairs");
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        void Add(string prefix, (double Map, double Mrr, double Ndcg) m)
        {
            sums[prefix + "map"] = sums.GetValueOrDefault(prefix + "map") + m.Map;
            sums[prefix + $"mrr@{atK}"] = sums.GetValueOrDefault(prefix + $"mrr@{atK}") + m.Mrr;
            sums[prefix + $"ndcg@{atK}"] = sums.GetValueOrDefault(prefix + $"ndcg@{atK}") + m.Ndcg;
        }
        int k = 0;
        for (int i = 0; i < Samples.Count; i++)
        {
            if (Samples[i].Documents is { } documents) Add("base_", RankedListMetrics.FirstStage(documents, Samples[i].Positive, atK));
            var (docs, relevant) = lists[i];
            if (relevant.Count == 0)
            {
                Add("", (0, 0, 0));
                continue;
            }
            // Each listed document is its own entry (its place), relevant by place, as upstream's is_relevant list.
            var order = Enumerable.Range(0, docs.Count).OrderByDescending(j => scores[k + j]).ThenByDescending(j => j);
            var ranked = order.Select(j => j.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Add("", RankedListMetrics.Of(ranked, relevant, atK));
            k += docs.Count;
        }
        bool withBase = Samples.Count > 0 && Samples.All(s => s.Documents is not null);
        var means = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (string prefix in withBase ? new[] { "", "base_" } : [""])
            foreach (string metric in new[] { "map", $"mrr@{atK}", $"ndcg@{atK}" })
                means[prefix + metric] = Samples.Count == 0 ? double.NaN : sums.GetValueOrDefault(prefix + metric) / Samples.Count;
        return means;
    }

    /// <summary>The documents the model orders for <paramref name="sample"/> and the places (as keys) of the relevant ones.</summary>
    private (List<string> Docs, Dictionary<string, int> Relevant) Candidates(RerankingSample sample)
    {
        var positive = sample.Positive.ToHashSet(StringComparer.Ordinal);
        List<string> docs = sample.Documents is not { } documents ? [.. sample.Positive, .. sample.Negative!]
            : alwaysRerankPositives ? [.. sample.Positive, .. documents.Where(d => !positive.Contains(d))]
            : [.. documents];
        var relevant = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int j = 0; j < docs.Count; j++)
        {
            bool isPositive = sample.Documents is null || alwaysRerankPositives ? j < sample.Positive.Count : positive.Contains(docs[j]);
            if (isPositive) relevant[j.ToString(System.Globalization.CultureInfo.InvariantCulture)] = 1;
        }
        return (docs, relevant);
    }
}
