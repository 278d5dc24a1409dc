using System.Numerics.Tensors;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;

namespace Skald.Training.Losses;

/// <summary>
/// Cross-entropy of token predictions through a vocabulary projection, computed outside the tape in chunks of
/// <see cref="ChunkRows"/> rows so [rows, V] logits exist one chunk at a time (masked-LM and MNTP share it):
/// z = h·Wᵀ (+ b) [m, V], then c·tanh(z/c) when soft-capped; loss_r = logsumexp(z_r) − z_r[label_r]. Backward:
/// dz = (softmax(z) − onehot)·scale (through the cap: ·(1 − (z/c)²)), dh = dz·W, dW += dzᵀ·h and db += Σ dz for the
/// head parameters that require gradients. With <c>excluded</c> = n the logits of ids 0..n−1 are −∞ (NorBERT3's masked-LM
/// class never predicts its special tokens): they leave the softmax and get no gradient. A 16-bit head (a frozen bfloat16 /
/// float16 base, LoRA training) is widened inside the GEMMs. Buffers grow once and are reused.
/// </summary>
internal sealed class VocabularyCrossEntropy
{
    /// <summary>Rows of logits computed at once.</summary>
    public const int ChunkRows = 64;

    private float[] logits = [], chunkHidden = [], chunkGrad = [];

    /// <summary>
    /// Σ over rows of the loss for hidden rows <paramref name="rows"/> of <paramref name="hidden"/> [·, C] with targets
    /// <paramref name="labels"/>; with a non-empty <paramref name="hiddenGrad"/> (same shape as hidden) it adds
    /// <paramref name="scale"/> × d(Σ loss)/d(hidden) there and the head's gradients.
    /// </summary>
    public double Run(ReadOnlySpan<float> hidden, int c, IReadOnlyList<int> rows, IReadOnlyList<int> labels, Parameter weight,
        Parameter? bias, float softCap, float scale, Span<float> hiddenGrad, int excluded = 0)
    {
        double loss = 0;
        for (int start = 0; start < rows.Count; start += ChunkRows)
            loss += Chunk(hidden, c, rows, labels, start, Math.Min(ChunkRows, rows.Count - start), weight, bias, softCap, scale, hiddenGrad, excluded);
        return loss;
    }

    private double Chunk(ReadOnlySpan<float> hidden, int c, IReadOnlyList<int> rows, IReadOnlyList<int> labels, int start, int m,
        Parameter weight, Parameter? bias, float cap, float scale, Span<float> hiddenGrad, int excluded)
    {
        int v = weight.Shape[0];
        bool backward = !hiddenGrad.IsEmpty;
        if (chunkHidden.Length < m * c)
        {
            chunkHidden = new float[m * c];
            chunkGrad = new float[m * c];
        }
        if (logits.Length < m * v) logits = new float[m * v];
        var h = chunkHidden.AsSpan(0, m * c);
        var z = logits.AsSpan(0, m * v);
        for (int r = 0; r < m; r++) hidden.Slice(rows[start + r] * c, c).CopyTo(h.Slice(r * c, c));
        if (weight.Precision == WeightPrecision.Float32) Blas.Sgemm(false, true, m, v, c, 1f, h, c, weight.Data.Span, c, 0f, z, v); // [m, C]·[V, C]ᵀ
        else Blas.Sgemm16(weight.Precision, false, true, m, v, c, 1f, h, c, weight.Bits16.Span, c, 0f, z, v); // a frozen 16-bit head, widened in the GEMM
        for (int r = 0; r < m; r++)
        {
            var row = z.Slice(r * v, v);
            if (bias is not null) TensorPrimitives.Add(row, bias.Data.Span, row);
            if (cap > 0f)
            {
                for (int k = 0; k < v; k++) row[k] = cap * MathF.Tanh(row[k] / cap);
            }
            row[..excluded].Fill(float.NegativeInfinity);
        }
        double loss = 0;
        for (int r = 0; r < m; r++)
        {
            var row = z.Slice(r * v, v);
            float max = TensorPrimitives.Max(row);
            double sum = 0;
            for (int k = 0; k < v; k++) sum += Math.Exp(row[k] - max);
            double lse = max + Math.Log(sum);
            int label = labels[start + r];
            loss += lse - row[label];
            if (!backward) continue;
            row[..excluded].Clear(); // exp(−∞) = 0: no gradient
            for (int k = excluded; k < v; k++)
            {
                float p = (float)Math.Exp(row[k] - lse);
                float g = (k == label ? p - 1f : p) * scale;
                row[k] = cap > 0f ? g * (1f - row[k] / cap * (row[k] / cap)) : g; // d(c·tanh(x/c))/dx = 1 − (z/c)²
            }
        }
        if (!backward) return loss;
        var dh = chunkGrad.AsSpan(0, m * c);
        if (weight.Precision == WeightPrecision.Float32) Blas.Sgemm(false, false, m, c, v, 1f, z, v, weight.Data.Span, c, 0f, dh, c); // [m, V]·[V, C]
        else Blas.Sgemm16(weight.Precision, false, false, m, c, v, 1f, z, v, weight.Bits16.Span, c, 0f, dh, c);
        for (int r = 0; r < m; r++)
        {
            var dst = hiddenGrad.Slice(rows[start + r] * c, c);
            TensorPrimitives.Add(dst, dh.Slice(r * c, c), dst);
        }
        if (weight.RequiresGrad) Blas.Sgemm(true, false, v, c, m, 1f, z, v, h, c, 1f, weight.Grad.Span, c); // [V, m]·[m, C]
        if (bias is { RequiresGrad: true })
        {
            var db = bias.Grad.Span;
            for (int r = 0; r < m; r++) TensorPrimitives.Add(db, z.Slice(r * v, v), db);
        }
        return loss;
    }
}
