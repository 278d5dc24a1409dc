using System.Numerics.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.Modules;

/// <summary>
/// sentence-transformers' Pooling module as kernels (forward and backward side by side) and as a differentiable op
/// on a <see cref="Tape"/>.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/models/Pooling.py</remarks>
public static class Pooling
{
    /// <summary>hidden [B·T, C] and mask [B·T] → [B, k·C] on <paramref name="tape"/>.</summary>
    public static Variable Forward(Tape tape, Variable hidden, int[] mask, int batch, int seq, PoolingConfig config,
        int promptLength = 0)
    {
        if (hidden.Cols != config.Dimension || hidden.Rows != batch * seq) throw new ArgumentException("hidden must be [B·T, C]");
        var y = tape.NewVariable(batch, config.OutputDimension);
        Forward(config, hidden.Span, mask, batch, seq, y.Span, promptLength);
        if (tape.Records(y)) Record(tape, hidden, mask, batch, seq, config, promptLength, y);
        return y;
    }

    private static void Record(Tape tape, Variable hidden, int[] mask, int batch, int seq, PoolingConfig config,
        int promptLength, Variable y) => tape.Record(y, () => tape.WriteGrad(hidden, dx =>
        Backward(config, hidden.Span, mask, y.Span, y.Grad, dx, batch, seq, promptLength)));

    /// <summary>
    /// hidden: [B, T, C]; mask: [B, T]; output: [B, k·C]. <paramref name="promptLength"/> &gt; 0 removes the first
    /// tokens from the mask (include_prompt = false), as sentence-transformers does.
    /// </summary>
    public static void Forward(PoolingConfig config, ReadOnlySpan<float> hidden, ReadOnlySpan<int> mask, int batch,
        int seq, Span<float> output, int promptLength = 0)
    {
        int c = config.Dimension, width = config.OutputDimension;
        for (int b = 0; b < batch; b++)
        {
            var rowMask = mask.Slice(b * seq, seq);
            var h = hidden.Slice(b * seq * c, seq * c);
            var o = output.Slice(b * width, width);
            int offset = 0;
            int skip = config.IncludePrompt ? 0 : promptLength;
            if ((config.Modes & PoolingMode.Cls) != 0)
            {
                h[..c].CopyTo(o.Slice(offset, c));
                offset += c;
            }
            if ((config.Modes & PoolingMode.Max) != 0)
            {
                var dst = o.Slice(offset, c);
                dst.Fill(float.NegativeInfinity);
                bool anyMasked = false;
                for (int t = 0; t < seq; t++)
                {
                    if (rowMask[t] != 0 && t >= skip) TensorPrimitives.Max(dst, h.Slice(t * c, c), dst);
                    else anyMasked = true;
                }
                if (anyMasked) TensorPrimitives.Max(dst, -1e9f, dst); // sentence-transformers sets masked positions to -1e9
                offset += c;
            }
            bool mean = (config.Modes & PoolingMode.Mean) != 0, sqrt = (config.Modes & PoolingMode.MeanSqrtLen) != 0;
            if (mean || sqrt)
            {
                Span<float> sum = o.Slice(offset, c);
                sum.Clear();
                float count = 0;
                for (int t = 0; t < seq; t++)
                {
                    if (!(rowMask[t] != 0 && t >= skip)) continue;
                    TensorPrimitives.Add(sum, h.Slice(t * c, c), sum);
                    count++;
                }
                count = MathF.Max(count, 1e-9f);
                if (mean && sqrt)
                {
                    TensorPrimitives.Multiply(sum, 1f / MathF.Sqrt(count), o.Slice(offset + c, c));
                    TensorPrimitives.Divide(sum, count, sum);
                    offset += 2 * c;
                }
                else
                {
                    TensorPrimitives.Divide(sum, mean ? count : MathF.Sqrt(count), sum);
                    offset += c;
                }
            }
            if ((config.Modes & PoolingMode.WeightedMean) != 0)
            {
                var dst = o.Slice(offset, c);
                dst.Clear();
                float total = 0;
                for (int t = 0; t < seq; t++)
                {
                    if (!(rowMask[t] != 0 && t >= skip)) continue;
                    TensorPrimitives.MultiplyAdd(h.Slice(t * c, c), t + 1, dst, dst);
                    total += t + 1;
                }
                TensorPrimitives.Divide(dst, MathF.Max(total, 1e-9f), dst);
                offset += c;
            }
            if ((config.Modes & PoolingMode.LastToken) != 0)
            {
                int last = 0;
                for (int t = 0; t < seq; t++)
                {
                    if (rowMask[t] != 0) last = t;
                }
                h.Slice(last * c, c).CopyTo(o.Slice(offset, c));
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward(PoolingConfig, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, Span{float}, int)"/>:
    /// dHidden [B, T, C] (overwritten) from dOutput [B, k·C]. cls/lasttoken route to one token; max to the (first)
    /// arg-max among pooled tokens; mean, mean_sqrt_len and weightedmean spread with weights 1/n, 1/√n and (t+1)/Σ(t+1)
    /// over pooled tokens.
    /// </summary>
    public static void Backward(PoolingConfig config, ReadOnlySpan<float> hidden, ReadOnlySpan<int> mask,
        ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dHidden, int batch, int seq, int promptLength)
    {
        int c = config.Dimension, width = config.OutputDimension;
        int skip = config.IncludePrompt ? 0 : promptLength;
        dHidden[..(batch * seq * c)].Clear();
        for (int b = 0; b < batch; b++)
        {
            var m = mask.Slice(b * seq, seq);
            var h = hidden.Slice(b * seq * c, seq * c);
            var dh = dHidden.Slice(b * seq * c, seq * c);
            var o = output.Slice(b * width, width);
            var dout = dOutput.Slice(b * width, width);
            int offset = 0;
            if ((config.Modes & PoolingMode.Cls) != 0)
            {
                AddTo(dh[..c], dout.Slice(offset, c));
                offset += c;
            }
            if ((config.Modes & PoolingMode.Max) != 0)
            {
                for (int j = 0; j < c; j++)
                {
                    float best = o[offset + j];
                    for (int t = 0; t < seq; t++)
                    {
                        if ((m[t] != 0 && t >= skip) && h[t * c + j] == best)
                        {
                            dh[t * c + j] += dout[offset + j];
                            break;
                        }
                    }
                }
                offset += c;
            }
            bool mean = (config.Modes & PoolingMode.Mean) != 0, sqrt = (config.Modes & PoolingMode.MeanSqrtLen) != 0;
            if (mean || sqrt)
            {
                float count = 0;
                for (int t = 0; t < seq; t++) if ((m[t] != 0 && t >= skip)) count++;
                count = MathF.Max(count, 1e-9f);
                for (int t = 0; t < seq; t++)
                {
                    if (!(m[t] != 0 && t >= skip)) continue;
                    var row = dh.Slice(t * c, c);
                    if (mean) TensorPrimitives.MultiplyAdd(dout.Slice(offset, c), 1f / count, row, row);
                    if (sqrt) TensorPrimitives.MultiplyAdd(dout.Slice(offset + (mean ? c : 0), c), 1f / MathF.Sqrt(count), row, row);
                }
                offset += mean && sqrt ? 2 * c : c;
            }
            if ((config.Modes & PoolingMode.WeightedMean) != 0)
            {
                float total = 0;
                for (int t = 0; t < seq; t++) if ((m[t] != 0 && t >= skip)) total += t + 1;
                total = MathF.Max(total, 1e-9f);
                for (int t = 0; t < seq; t++)
                {
                    if (!(m[t] != 0 && t >= skip)) continue;
                    var row = dh.Slice(t * c, c);
                    TensorPrimitives.MultiplyAdd(dout.Slice(offset, c), (t + 1) / total, row, row);
                }
                offset += c;
            }
            if ((config.Modes & PoolingMode.LastToken) != 0)
            {
                int last = 0;
                for (int t = 0; t < seq; t++) if (m[t] != 0) last = t;
                AddTo(dh.Slice(last * c, c), dout.Slice(offset, c));
            }
        }
    }

    private static void AddTo(Span<float> dst, ReadOnlySpan<float> src) => TensorPrimitives.Add(dst, src, dst);
}
