using System.Buffers;
using System.Numerics.Tensors;

namespace Skald.Models.Modules;

public static partial class Pooling
{
    /// <summary>
    /// Backward of <see cref="Forward(PoolingConfig, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, Span{float}, int, ReadOnlySpan{int})"/>:
    /// dHidden [B, T, C] (overwritten) from dOutput [B, k·C]. Cls routes to the first real token, lasttoken to the last
    /// pooled one; max to the (first) arg-max among pooled tokens; mean, mean_sqrt_len, weightedmean and LLM2Vec's
    /// weighted_mean spread with weights 1/n, 1/√n, (real rank + 1)/Σ and (pooled rank + 1)/Σ over pooled tokens.
    /// </summary>
    public static void Backward(PoolingConfig config, ReadOnlySpan<float> hidden, ReadOnlySpan<int> mask,
        ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dHidden, int batch, int seq, int promptLength,
        ReadOnlySpan<int> embedMask = default)
    {
        CheckShapes(config, hidden, mask, embedMask, batch, seq, output.Length);
        int c = config.Dimension, width = config.OutputDimension;
        int skip = config.IncludePrompt ? 0 : promptLength;
        dHidden[..(batch * seq * c)].Clear();
        int[] ranks = ArrayPool<int>.Shared.Rent(2 * seq);
        try
        {
            var realRank = ranks.AsSpan(0, seq);
            var poolRank = ranks.AsSpan(seq, seq);
            for (int b = 0; b < batch; b++)
            {
                var sel = Select(mask.Slice(b * seq, seq), embedMask.IsEmpty ? default : embedMask.Slice(b * seq, seq),
                    skip, realRank, poolRank);
                var h = hidden.Slice(b * seq * c, seq * c);
                var dh = dHidden.Slice(b * seq * c, seq * c);
                var o = output.Slice(b * width, width);
                var dout = dOutput.Slice(b * width, width);
                int offset = 0;
                if ((config.Modes & PoolingMode.Cls) != 0)
                {
                    AddTo(dh.Slice(sel.First * c, c), dout.Slice(offset, c));
                    offset += c;
                }
                if ((config.Modes & PoolingMode.Max) != 0)
                {
                    for (int j = 0; j < c; j++)
                    {
                        float best = o[offset + j];
                        for (int t = 0; t < seq; t++)
                        {
                            if (poolRank[t] >= 0 && h[t * c + j] == best)
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
                    float count = MathF.Max(sel.Count, 1e-9f);
                    if (mean) Spread(dh, c, poolRank, poolRank, Weighting.One, 1f / count, dout.Slice(offset, c));
                    if (sqrt) Spread(dh, c, poolRank, poolRank, Weighting.One, 1f / MathF.Sqrt(count), dout.Slice(offset + (mean ? c : 0), c));
                    offset += mean && sqrt ? 2 * c : c;
                }
                if ((config.Modes & PoolingMode.WeightedMean) != 0)
                {
                    Spread(dh, c, poolRank, realRank, Weighting.RankPlusOne, 1f / MathF.Max(sel.RealRankWeights, 1e-9f), dout.Slice(offset, c));
                    offset += c;
                }
                if ((config.Modes & PoolingMode.LastToken) != 0)
                {
                    if (sel.Last >= 0) AddTo(dh.Slice(sel.Last * c, c), dout.Slice(offset, c));
                    offset += c;
                }
                if ((config.Modes & PoolingMode.WeightedMeanOverPooled) != 0)
                    Spread(dh, c, poolRank, poolRank, Weighting.RankPlusOne, 1f / MathF.Max(sel.PoolRankWeights, 1e-9f), dout.Slice(offset, c));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ranks);
        }
    }

    /// <summary>dh[t] += w(t)·scale·dy over pooled t, with w = 1 or rank[t] + 1.</summary>
    private static void Spread(Span<float> dh, int c, ReadOnlySpan<int> poolRank, ReadOnlySpan<int> rank, Weighting weighting,
        float scale, ReadOnlySpan<float> dy)
    {
        for (int t = 0; t < poolRank.Length; t++)
        {
            if (poolRank[t] < 0) continue;
            var row = dh.Slice(t * c, c);
            float w = weighting == Weighting.One ? scale : (rank[t] + 1) * scale;
            TensorPrimitives.MultiplyAdd(dy, w, row, row);
        }
    }

    private static void AddTo(Span<float> dst, ReadOnlySpan<float> src) => TensorPrimitives.Add(dst, src, dst);
}
