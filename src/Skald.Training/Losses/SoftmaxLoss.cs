using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' SoftmaxLoss (SBERT's NLI objective) with its defaults: pairs (sentence1, sentence2) with an
/// integer label in [0, <see cref="NumLabels"/>); a linear classifier over the features f = (u, v, |u − v|) [3D] and
/// cross-entropy (https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/losses/SoftmaxLoss.py):
/// <code>
/// z = f·Wᵀ + b  [B, L]      loss = mean_i (logsumexp(z_i) − z_i[label_i])
/// dz = (softmax(z) − onehot)/B;   dW += dzᵀ·f;   db += Σ dz;   df = dz·W
/// du = df[:D] + sign(u − v)·df[2D:];   dv = df[D:2D] − sign(u − v)·df[2D:]   (sign(0) = 0, as torch's abs)
/// </code>
/// The classifier trains with the model (<see cref="Parameters"/>: <c>softmax_loss.classifier.weight</c> [L, 3D] and
/// <c>softmax_loss.classifier.bias</c>, drawn as nn.Linear draws them) but is not saved with it, as sentence-transformers saves only
/// the model.
/// </summary>
public sealed class SoftmaxLoss : EmbeddingLoss, ILoss
{
    /// <summary>A classifier for <paramref name="dimension"/>-d embeddings and <paramref name="numLabels"/> labels, uniform in ±1/√(3D) from <paramref name="seed"/>.</summary>
    public SoftmaxLoss(int dimension, int numLabels, ulong seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(numLabels, 2);
        var random = new SkaldRandom(seed);
        float bound = 1f / MathF.Sqrt(3 * dimension);
        float[] Draw(int n) => [.. Enumerable.Range(0, n).Select(_ => (2f * random.NextFloat() - 1f) * bound)];
        Weight = new Parameter("softmax_loss.classifier.weight", Draw(numLabels * 3 * dimension), [numLabels, 3 * dimension], weightDecay: true);
        Bias = new Parameter("softmax_loss.classifier.bias", Draw(numLabels), [numLabels], weightDecay: false);
    }

    /// <summary>classifier.weight [L, 3D].</summary>
    public Parameter Weight { get; }

    /// <summary>classifier.bias [L].</summary>
    public Parameter Bias { get; }

    /// <summary>Labels the classifier tells apart.</summary>
    public int NumLabels => Weight.Shape[0];

    /// <summary>The classifier's weight and bias, trained (and checkpointed) with the model.</summary>
    public IReadOnlyList<Parameter> Parameters => [Weight, Bias];

    /// <summary>Nothing is saved with the model: the classifier belongs to the training objective.</summary>
    public IReadOnlyList<Parameter> SavedParameters => [];

    /// <summary>
    /// The classifier's logits for one pair with the current weights: <paramref name="features"/> [3D] receives
    /// (u, v, |u − v|), <paramref name="logits"/> [L] receives f·Wᵀ + b (the forward of the loss and of
    /// <see cref="Evaluation.LabelAccuracyEvaluator"/>).
    /// </summary>
    public void Logits(ReadOnlySpan<float> u, ReadOnlySpan<float> v, Span<double> features, Span<double> logits)
    {
        int d = u.Length, f = 3 * d;
        if (v.Length != d || Weight.Shape[1] != f || features.Length != f || logits.Length != NumLabels)
            throw new ArgumentException($"the classifier takes {Weight.Shape[1] / 3}-d embeddings, these are {d}-d and {v.Length}-d");
        for (int t = 0; t < d; t++)
        {
            features[t] = u[t];
            features[d + t] = v[t];
            features[2 * d + t] = Math.Abs((double)u[t] - v[t]);
        }
        var w = Weight.Data.Span;
        var bias = Bias.Data.Span;
        for (int c = 0; c < logits.Length; c++)
        {
            double s = bias[c];
            var row = w.Slice(c * f, f);
            for (int t = 0; t < f; t++) s += row[t] * features[t];
            logits[c] = s;
        }
    }

    /// <inheritdoc />
    public override string Name => "softmax";

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        RequireColumns(columns, 2, 2, "SoftmaxLoss");
        int b = columns[0].Rows, d = columns[0].Dim, l = NumLabels, f = 3 * d;
        if (Weight.Shape[1] != f) throw new ArgumentException($"the classifier takes {Weight.Shape[1] / 3}-d embeddings, these are {d}-d");
        if (labels is null || labels.Count != b) throw new ArgumentException("SoftmaxLoss needs one integer label per pair");
        var w = Weight.Data.Span;
        var features = new double[f];
        var z = new double[l];
        var dw = Weight.Grad.Span;
        var db = Bias.Grad.Span;
        double loss = 0;
        for (int i = 0; i < b; i++)
        {
            int label = (int)labels[i];
            if (label != labels[i] || label < 0 || label >= l)
                throw new ArgumentException($"label {labels[i]} of pair {i} is not an integer in 0..{l - 1} (loss.num_labels {l})");
            var u = columns[0].Row(i);
            var v = columns[1].Row(i);
            Logits(u, v, features, z);
            double lse = CosineMath.LogSumExp(z);
            loss += (lse - z[label]) / b;
            var gu = gradients[0].Row(i);
            var gv = gradients[1].Row(i);
            gu.Clear();
            gv.Clear();
            for (int c = 0; c < l; c++)
            {
                double g = (Math.Exp(z[c] - lse) - (c == label ? 1 : 0)) / b;
                db[c] += (float)g;
                var row = w.Slice(c * f, f);
                var grow = dw.Slice(c * f, f);
                for (int t = 0; t < f; t++) grow[t] += (float)(g * features[t]);
                for (int t = 0; t < d; t++)
                {
                    double diff = (double)u[t] - v[t];
                    double sign = diff > 0 ? 1 : diff < 0 ? -1 : 0;
                    double df = g * row[2 * d + t];
                    gu[t] += (float)(g * row[t] + sign * df);
                    gv[t] += (float)(g * row[d + t] - sign * df);
                }
            }
        }
        return (float)loss;
    }
}
