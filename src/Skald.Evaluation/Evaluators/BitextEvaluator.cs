using Skald.Evaluation.Data;
using Skald.Retrieval.Data;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Search;
using Skald.Tensors.Gemm;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// Bitext mining: for each sentence, the nearest sentence of the other language by cosine; a hit when it is the
/// translation. Per direction, <c>accuracy</c> and MTEB's <c>f1</c> (sklearn weighted F1 with the gold index as the
/// class); reported for source→target, target→source and their mean (<c>f1</c>, main). The margin-based variant
/// (ratio margin of Artetxe &amp; Schwenk 2019, k = 4 neighbours: cos(x, y) / ((mean kNN cos of x + mean kNN cos of y)/2))
/// is reported as <c>margin_f1</c> and <c>margin_accuracy</c>. A sparse encoder adds sentence-transformers'
/// SparseTranslationEvaluator's <c>active_dims</c> and <c>sparsity_ratio</c> over the sources and targets (<see cref="SparsityMetrics"/>).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/embeddings-benchmark/mteb/blob/1.39.7/mteb/evaluation/evaluators/BitextMiningEvaluator.py,
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/evaluation/SparseTranslationEvaluator.py
/// </remarks>
public sealed class BitextEvaluator(TaskDefinition task, int marginNeighbours = 4) : TaskEvaluator(task)
{
    /// <inheritdoc/>
    public override string MainMetric => "f1";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        var pairs = Datasets.LoadBitext(Task.Path, Task.Limit);
        int n = pairs.Count;
        var emb = RequireEmbeddings(model);
        var sourceRows = emb.Embed([.. pairs.Select(p => p.Source)], TextRole.Text);
        var targetRows = emb.Embed([.. pairs.Select(p => p.Target)], TextRole.Text);
        var m = new SortedDictionary<string, double>(StringComparer.Ordinal);
        SparsityMetrics.AddIfSparse(m, emb, "", [.. sourceRows, .. targetRows]);
        var src = ExactSearch.Normalize(sourceRows);
        var tgt = ExactSearch.Normalize(targetRows);
        var sim = SimilarityMatrix(src, tgt);
        int k = Math.Min(marginNeighbours, n);
        var rowKnn = new double[n];
        var colKnn = new double[n];
        for (int i = 0; i < n; i++) rowKnn[i] = TopMean(j => sim[i * n + j], n, k);
        for (int j = 0; j < n; j++) colKnn[j] = TopMean(i => sim[i * n + j], n, k);
        var truth = Enumerable.Range(0, n).ToArray();
        var fwd = Argmax(n, (i, j) => sim[i * n + j]);
        var bwd = Argmax(n, (j, i) => sim[i * n + j]);
        var mFwd = Argmax(n, (i, j) => sim[i * n + j] / ((rowKnn[i] + colKnn[j]) / 2));
        var mBwd = Argmax(n, (j, i) => sim[i * n + j] / ((rowKnn[i] + colKnn[j]) / 2));
        m["accuracy_source_to_target"] = ClassificationMetrics.Accuracy(truth, fwd);
        m["accuracy_target_to_source"] = ClassificationMetrics.Accuracy(truth, bwd);
        m["f1_source_to_target"] = ClassificationMetrics.WeightedF1(truth, fwd);
        m["f1_target_to_source"] = ClassificationMetrics.WeightedF1(truth, bwd);
        m["accuracy"] = (m["accuracy_source_to_target"] + m["accuracy_target_to_source"]) / 2;
        m["f1"] = (m["f1_source_to_target"] + m["f1_target_to_source"]) / 2;
        m["margin_accuracy"] = (ClassificationMetrics.Accuracy(truth, mFwd) + ClassificationMetrics.Accuracy(truth, mBwd)) / 2;
        m["margin_f1"] = (ClassificationMetrics.WeightedF1(truth, mFwd) + ClassificationMetrics.WeightedF1(truth, mBwd)) / 2;
        metadata["pairs"] = Str(n);
        metadata["margin_neighbours"] = Str(k);
        return m;
    }

    private static float[] SimilarityMatrix(float[][] a, float[][] b)
    {
        int n = a.Length, d = a[0].Length;
        var am = new float[n * d];
        var bm = new float[b.Length * d];
        for (int i = 0; i < n; i++) a[i].CopyTo(am, i * d);
        for (int i = 0; i < b.Length; i++) b[i].CopyTo(bm, i * d);
        var c = new float[n * b.Length];
        Blas.Sgemm(false, true, n, b.Length, d, 1f, am, d, bm, d, 0f, c, b.Length);
        return c;
    }

    /// <summary>For each row r, the column with the highest score (lowest index on ties).</summary>
    private static int[] Argmax(int n, Func<int, int, double> score)
    {
        var result = new int[n];
        Parallel.For(0, n, r =>
        {
            double best = double.NegativeInfinity;
            for (int c = 0; c < n; c++)
            {
                double s = score(r, c);
                if (s > best) { best = s; result[r] = c; }
            }
        });
        return result;
    }

    private static double TopMean(Func<int, double> value, int n, int k)
    {
        var top = new PriorityQueue<double, double>();
        for (int i = 0; i < n; i++)
        {
            double v = value(i);
            if (top.Count < k) top.Enqueue(v, v);
            else if (v > top.Peek()) { top.Dequeue(); top.Enqueue(v, v); }
        }
        double sum = 0;
        while (top.Count > 0) sum += top.Dequeue();
        return sum / k;
    }
}
