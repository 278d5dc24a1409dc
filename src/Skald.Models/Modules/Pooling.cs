using System.Buffers;
using System.Numerics.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.Modules;

/// <summary>
/// The pooling of sentence-transformers' Pooling module and of LLM2Vec's <c>get_pooling</c> as kernels (forward and
/// backward side by side, a scalar double-precision twin in Pooling.Reference.cs) and as a differentiable op on a
/// <see cref="Tape"/>.
/// <para>
/// Two masks drive it. The attention mask (1 = real token) says which tokens exist: <see cref="PoolingMode.Cls"/>
/// takes the first of them. The pooled tokens are the real tokens that are neither among the first
/// <c>promptLength</c> real tokens (sentence-transformers' include_prompt = false) nor outside the embed mask (LLM2Vec's
/// <c>embed_mask</c>: instruction tokens are attended to but not pooled); every other mode reads only pooled tokens.
/// Both masks are read per row, so the result is the same for left and right padding: a left-padded batch gives
/// exactly what the same texts give right-padded or one at a time.
/// </para>
/// <para>
/// Where upstream depends on the padding side, Skald follows what it means for padding-free input:
/// sentence-transformers' cls takes position 0 (a pad token when padding on the left, sentence-transformers issue
/// #3208), its weightedmean weights position t by t + 1 counting pads, and include_prompt = false zeroes the first
/// positions of the padded row; LLM2Vec's mean averages the last <c>sum(mask)</c> positions of a left-padded row (the
/// whole row when nothing is pooled, where Skald gives zeros as sentence-transformers does).
/// </para>
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/models/Pooling.py and
/// https://github.com/McGill-NLP/llm2vec/blob/312adcfb578b4023bfc9d3bcc83b6b87448ab059/llm2vec/llm2vec.py (get_pooling, tag 0.2.3).
/// </remarks>
public static partial class Pooling
{
    /// <summary>
    /// hidden [B·T, C], attention mask [B·T] and optional embed mask [B·T] → [B, k·C] on <paramref name="tape"/>.
    /// </summary>
    public static Variable Forward(Tape tape, Variable hidden, int[] mask, int batch, int seq, PoolingConfig config,
        int promptLength = 0, int[]? embedMask = null)
    {
        if (hidden.Cols != config.Dimension || hidden.Rows != batch * seq) throw new ArgumentException("hidden must be [B·T, C]");
        var y = tape.NewVariable(batch, config.OutputDimension);
        Forward(config, hidden.Span, mask, batch, seq, y.Span, promptLength, embedMask);
        if (tape.Records(y)) Record(tape, hidden, mask, batch, seq, config, promptLength, embedMask, y);
        return y;
    }

    private static void Record(Tape tape, Variable hidden, int[] mask, int batch, int seq, PoolingConfig config,
        int promptLength, int[]? embedMask, Variable y) => tape.Record(y, () => tape.WriteGrad(hidden, dx =>
        Backward(config, hidden.Span, mask, y.Span, y.Grad, dx, batch, seq, promptLength, embedMask)));

    /// <summary>
    /// hidden: [B, T, C]; mask: [B, T] (1 = real token); output: [B, k·C]. The first <paramref name="promptLength"/>
    /// real tokens of each row are not pooled when the config says include_prompt = false; when
    /// <paramref name="embedMask"/> ([B, T]) is not empty, only tokens it marks 1 are pooled.
    /// </summary>
    public static void Forward(PoolingConfig config, ReadOnlySpan<float> hidden, ReadOnlySpan<int> mask, int batch,
        int seq, Span<float> output, int promptLength = 0, ReadOnlySpan<int> embedMask = default)
    {
        CheckShapes(config, hidden, mask, embedMask, batch, seq, output.Length);
        int c = config.Dimension, width = config.OutputDimension;
        int skip = config.IncludePrompt ? 0 : promptLength;
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
                var o = output.Slice(b * width, width);
                int offset = 0;
                if ((config.Modes & PoolingMode.Cls) != 0)
                {
                    h.Slice(sel.First * c, c).CopyTo(o.Slice(offset, c));
                    offset += c;
                }
                if ((config.Modes & PoolingMode.Max) != 0)
                {
                    var dst = o.Slice(offset, c);
                    dst.Fill(float.NegativeInfinity);
                    for (int t = 0; t < seq; t++)
                    {
                        if (poolRank[t] >= 0) TensorPrimitives.Max(dst, h.Slice(t * c, c), dst);
                    }
                    // sentence-transformers sets the tokens it does not pool to -1e9 before taking the maximum.
                    if (sel.Count < seq) TensorPrimitives.Max(dst, -1e9f, dst);
                    offset += c;
                }
                bool mean = (config.Modes & PoolingMode.Mean) != 0, sqrt = (config.Modes & PoolingMode.MeanSqrtLen) != 0;
                if (mean || sqrt)
                {
                    var sum = o.Slice(offset, c);
                    WeightedSum(h, c, poolRank, poolRank, Weighting.One, sum);
                    float count = MathF.Max(sel.Count, 1e-9f);
                    if (mean && sqrt)
                    {
                        TensorPrimitives.Multiply(sum, 1f / MathF.Sqrt(count), o.Slice(offset + c, c));
                        TensorPrimitives.Divide(sum, count, sum);
                    }
                    else
                    {
                        TensorPrimitives.Divide(sum, mean ? count : MathF.Sqrt(count), sum);
                    }
                    offset += mean && sqrt ? 2 * c : c;
                }
                if ((config.Modes & PoolingMode.WeightedMean) != 0)
                {
                    var dst = o.Slice(offset, c);
                    WeightedSum(h, c, poolRank, realRank, Weighting.RankPlusOne, dst);
                    TensorPrimitives.Divide(dst, MathF.Max(sel.RealRankWeights, 1e-9f), dst);
                    offset += c;
                }
                if ((config.Modes & PoolingMode.LastToken) != 0)
                {
                    if (sel.Last >= 0) h.Slice(sel.Last * c, c).CopyTo(o.Slice(offset, c));
                    else o.Slice(offset, c).Clear();
                    offset += c;
                }
                if ((config.Modes & PoolingMode.WeightedMeanOverPooled) != 0)
                {
                    var dst = o.Slice(offset, c);
                    WeightedSum(h, c, poolRank, poolRank, Weighting.RankPlusOne, dst);
                    TensorPrimitives.Divide(dst, MathF.Max(sel.PoolRankWeights, 1e-9f), dst);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ranks);
        }
    }

    /// <summary>How a pooled token is weighted in a sum: by 1, or by its rank + 1.</summary>
    private enum Weighting
    {
        One,
        RankPlusOne,
    }

    /// <summary>
    /// What one row pools. First: the first real token (0 in an all-padding row); Last: the last pooled token (−1
    /// when none); Count: pooled tokens; RealRankWeights: Σ (real rank + 1) and PoolRankWeights: Σ (pooled rank + 1)
    /// over pooled tokens.
    /// </summary>
    private readonly record struct Selection(int First, int Last, int Count, float RealRankWeights, float PoolRankWeights);

    /// <summary>
    /// realRank[t]: index of token t among the row's real tokens (−1 for padding); poolRank[t]: index among the
    /// pooled tokens (−1 when not pooled).
    /// </summary>
    private static Selection Select(ReadOnlySpan<int> mask, ReadOnlySpan<int> embed, int skip, Span<int> realRank, Span<int> poolRank)
    {
        int first = -1, last = -1, real = 0, count = 0;
        long realWeights = 0;
        for (int t = 0; t < mask.Length; t++)
        {
            realRank[t] = poolRank[t] = -1;
            if (mask[t] == 0) continue;
            if (first < 0) first = t;
            realRank[t] = real++;
            if (realRank[t] < skip || (!embed.IsEmpty && embed[t] == 0)) continue;
            poolRank[t] = count++;
            realWeights += realRank[t] + 1;
            last = t;
        }
        return new Selection(Math.Max(first, 0), last, count, realWeights, count * (count + 1L) / 2);
    }

    /// <summary>dst = Σ over pooled t of w(t)·h[t], with w = 1 or rank[t] + 1.</summary>
    private static void WeightedSum(ReadOnlySpan<float> h, int c, ReadOnlySpan<int> poolRank, ReadOnlySpan<int> rank,
        Weighting weighting, Span<float> dst)
    {
        dst.Clear();
        for (int t = 0; t < poolRank.Length; t++)
        {
            if (poolRank[t] < 0) continue;
            if (weighting == Weighting.One) TensorPrimitives.Add(dst, h.Slice(t * c, c), dst);
            else TensorPrimitives.MultiplyAdd(h.Slice(t * c, c), rank[t] + 1, dst, dst);
        }
    }

    private static void CheckShapes(PoolingConfig config, ReadOnlySpan<float> hidden, ReadOnlySpan<int> mask,
        ReadOnlySpan<int> embedMask, int batch, int seq, int outputLength)
    {
        int n = batch * seq;
        if (hidden.Length < n * config.Dimension) throw new ArgumentException("hidden must hold [B, T, C] values");
        if (mask.Length < n) throw new ArgumentException("mask must hold [B, T] values");
        if (!embedMask.IsEmpty && embedMask.Length < n) throw new ArgumentException("embedMask must be empty or hold [B, T] values");
        if (outputLength < batch * config.OutputDimension) throw new ArgumentException("output must hold [B, k·C] values");
    }
}
