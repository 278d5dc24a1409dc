using System.Numerics.Tensors;
using Skald.Models.Pipeline;

namespace Skald.Training.Autograd;

public static partial class Ops
{
    /// <summary>
    /// sentence-transformers Pooling: hidden [B·T, C] and mask [B·T] → [B, k·C] (forward: <see cref="Pooling.Forward"/>).
    /// Backward per mode: cls/lasttoken route to one token; max to the (first) arg-max among pooled tokens; mean,
    /// mean_sqrt_len and weightedmean spread with weights 1/n, 1/√n and (t+1)/Σ(t+1) over pooled tokens.
    /// </summary>
    public static Variable Pool(Tape tape, Variable hidden, int[] mask, int batch, int seq, PoolingConfig config,
        int promptLength = 0)
    {
        int c = hidden.Cols;
        if (c != config.Dimension || hidden.Rows != batch * seq) throw new ArgumentException("hidden must be [B·T, C]");
        int width = config.OutputDimension;
        var y = tape.NewVariable(batch, width);
        Pooling.Forward(config, hidden.Span, mask, batch, seq, y.Span, promptLength);
        tape.Record(y, () => tape.WriteGrad(hidden, dx =>
            PoolBackward(config, hidden.Span, mask, y.Span, y.Grad, dx, batch, seq, promptLength)));
        return y;
    }

    internal static void PoolBackward(PoolingConfig config, ReadOnlySpan<float> hidden, ReadOnlySpan<int> mask,
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
