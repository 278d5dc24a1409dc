using Skald.Evaluation.Data;
using Skald.Evaluation.Metrics;
using Skald.Evaluation.Models;
using Skald.Models.Pipeline;

namespace Skald.Evaluation.Evaluators;

/// <summary>Similarity helpers shared by the pair evaluators.</summary>
internal static class PairScoring
{
    public static (double[] Cosine, double[] Model) Score(IEmbeddingModel model, IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var all = model.Embed([.. a, .. b], TextRole.Text);
        var cos = new double[a.Count];
        var own = new double[a.Count];
        for (int i = 0; i < a.Count; i++)
        {
            cos[i] = Similarities.Compute(SimilarityFunction.Cosine, all[i], all[a.Count + i]);
            own[i] = Similarities.Compute(model.Similarity, all[i], all[a.Count + i]);
        }
        return (cos, own);
    }
}

/// <summary>
/// STS: Spearman and Pearson correlation between gold scores and the cosine similarity of the two embeddings
/// (<c>cosine_spearman</c>, main, as MTEB) and the model's own similarity (<c>spearman</c>, <c>pearson</c>).
/// </summary>
public sealed class StsEvaluator(TaskDefinition task) : TaskEvaluator(task)
{
    /// <inheritdoc/>
    public override string MainMetric => "cosine_spearman";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        var pairs = Datasets.LoadSts(Task.Path, Task.Limit);
        var gold = pairs.Select(p => p.Score).ToArray();
        var (cos, own) = PairScoring.Score(RequireEmbeddings(model), [.. pairs.Select(p => p.First)], [.. pairs.Select(p => p.Second)]);
        metadata["pairs"] = Str(pairs.Count);
        return new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["cosine_spearman"] = Correlation.Spearman(gold, cos),
            ["cosine_pearson"] = Correlation.Pearson(gold, cos),
            ["spearman"] = Correlation.Spearman(gold, own),
            ["pearson"] = Correlation.Pearson(gold, own),
        };
    }
}

/// <summary>
/// Pair classification (duplicate/paraphrase detection): average precision of the similarity against 0/1 labels, and
/// best-threshold accuracy and F1 (<see cref="BinaryMetrics"/>), for cosine (<c>cosine_*</c>) and for the model's
/// similarity (<c>ap</c>, main; <c>accuracy</c>, <c>f1</c>, <c>precision</c>, <c>recall</c>).
/// </summary>
public sealed class PairClassificationEvaluator(TaskDefinition task) : TaskEvaluator(task)
{
    /// <inheritdoc/>
    public override string MainMetric => "ap";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        var pairs = Datasets.LoadPairs(Task.Path, Task.Limit);
        var labels = pairs.Select(p => (int)p.Score).ToArray();
        var (cos, own) = PairScoring.Score(RequireEmbeddings(model), [.. pairs.Select(p => p.First)], [.. pairs.Select(p => p.Second)]);
        metadata["pairs"] = Str(pairs.Count);
        var m = new SortedDictionary<string, double>(StringComparer.Ordinal);
        Add(m, "cosine_", cos, labels);
        Add(m, "", own, labels);
        return m;
    }

    /// <summary>Adds ap, accuracy(+threshold), f1(+threshold, precision, recall) with a prefix.</summary>
    internal static void Add(IDictionary<string, double> m, string prefix, IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        var acc = BinaryMetrics.BestAccuracy(scores, labels);
        var f1 = BinaryMetrics.BestF1(scores, labels);
        m[prefix + "ap"] = BinaryMetrics.AveragePrecision(scores, labels);
        m[prefix + "accuracy"] = acc.Value;
        m[prefix + "accuracy_threshold"] = acc.Threshold;
        m[prefix + "f1"] = f1.Value;
        m[prefix + "f1_threshold"] = f1.Threshold;
        m[prefix + "precision"] = f1.Precision;
        m[prefix + "recall"] = f1.Recall;
    }
}

/// <summary>
/// Triplets: accuracy = fraction of triplets where sim(anchor, positive) &gt; sim(anchor, negative) (strictly, as
/// sentence-transformers' TripletEvaluator), with the model's similarity (<c>accuracy</c>, main) and cosine.
/// </summary>
public sealed class TripletEvaluator(TaskDefinition task) : TaskEvaluator(task)
{
    /// <inheritdoc/>
    public override string MainMetric => "accuracy";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        var triplets = Datasets.LoadTriplets(Task.Path, Task.Limit);
        var emb = RequireEmbeddings(model);
        var v = emb.Embed([.. triplets.Select(t => t.Anchor), .. triplets.Select(t => t.Positive), .. triplets.Select(t => t.Negative)], TextRole.Text);
        int n = triplets.Count, own = 0, cos = 0;
        for (int i = 0; i < n; i++)
        {
            if (Similarities.Compute(emb.Similarity, v[i], v[n + i]) > Similarities.Compute(emb.Similarity, v[i], v[2 * n + i])) own++;
            if (Similarities.Compute(SimilarityFunction.Cosine, v[i], v[n + i]) > Similarities.Compute(SimilarityFunction.Cosine, v[i], v[2 * n + i])) cos++;
        }
        metadata["triplets"] = Str(n);
        return new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["accuracy"] = (double)own / n,
            ["cosine_accuracy"] = (double)cos / n,
        };
    }
}
