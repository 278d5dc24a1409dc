namespace Skald.Tensors.Kernels;

// Attention, continued: the scalar twins of the forward and backward passes, accumulating in double (the references
// the fast paths are tested against).
public static unsafe partial class Attention
{
    /// <summary>Scalar double-accumulating twin of the BERT <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float}, Span{float}, int, int, int, int, float)"/>.</summary>
    public static void ForwardReference(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int ldIn,
        ReadOnlySpan<float> maskBias, Span<float> output, Span<float> probs, int batch, int seq, int heads, int headDim,
        float scale) =>
        ForwardReference(q, k, v, maskBias, output, probs, new AttentionLayout(batch, seq, heads, heads, headDim, ldIn,
            ldIn, heads * headDim), new AttentionScoring(scale));

    /// <summary>Scalar double-accumulating twin of <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, AttentionLayout, AttentionScoring, float, ulong)"/>.</summary>
    public static void ForwardReference(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> maskBias, Span<float> output, Span<float> probs, AttentionLayout l, AttentionScoring sc,
        float dropout = 0f, ulong seed = 0UL)
    {
        CheckDropout(dropout);
        Check(q, k, v, output.Length, probs.Length, maskBias.Length, l);
        CheckBand(l, sc);
        int seq = l.Seq, d = l.HeadDim, rl = l.RowLength;
        var row = new double[seq];
        for (int b = 0; b < l.Batch; b++)
        for (int h = 0; h < l.Heads; h++)
        {
            long qo = QOffset(l, b, h), ko = KvOffset(l, b, h / l.Group), oo = OutOffset(l, b, h);
            long pOff = ((long)b * l.Heads + h) * seq * seq; // dense index: the dropout mask's
            var p = probs.Slice((int)(((long)b * l.Heads + h) * seq * rl), seq * rl);
            p.Clear();
            for (int t = 0; t < seq; t++)
            {
                double max = double.NegativeInfinity;
                for (int s = 0; s < seq; s++)
                {
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += (double)q[(int)(qo + (long)t * l.LdQ + i)] * k[(int)(ko + (long)s * l.LdKv + i)];
                    double z = dot * sc.Scale;
                    if (sc.SoftCap > 0f) z = sc.SoftCap * Math.Tanh(z / sc.SoftCap);
                    z += maskBias.IsEmpty ? 0.0 : maskBias[b * seq + s];
                    row[s] = sc.Allows(t, s) ? z : double.NegativeInfinity;
                    max = Math.Max(max, row[s]);
                }
                double sum = 0;
                for (int s = 0; s < seq; s++) sum += row[s] = Math.Exp(row[s] - max);
                for (int s = 0; s < seq; s++)
                {
                    int j = Column(l, sc, t, s);
                    if (j >= 0) p[t * rl + j] = (float)(row[s] / sum);
                }
                for (int i = 0; i < d; i++)
                {
                    double acc = 0;
                    for (int s = 0; s < seq; s++)
                        acc += row[s] / sum * Dropout.Multiplier(dropout, seed, pOff + t * seq + s) * v[(int)(ko + (long)s * l.LdKv + i)];
                    output[(int)(oo + (long)t * l.LdOut + i)] = (float)acc;
                }
            }
        }
    }

    /// <summary>Scalar double-precision twin of <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, AttentionLayout, AttentionScoring, float, ulong)"/>.</summary>
    public static void BackwardReference(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> q, ReadOnlySpan<float> k,
        ReadOnlySpan<float> v, ReadOnlySpan<float> probs, Span<float> dq, Span<float> dk, Span<float> dv,
        AttentionLayout l, AttentionScoring sc, float dropout = 0f, ulong seed = 0UL)
    {
        CheckDropout(dropout);
        CheckBand(l, sc);
        int seq = l.Seq, d = l.HeadDim, rl = l.RowLength;
        var pr = new double[seq];
        var dkAcc = new double[dk.Length];
        var dvAcc = new double[dv.Length];
        var dz = new double[seq];
        for (int b = 0; b < l.Batch; b++)
        for (int h = 0; h < l.Heads; h++)
        {
            long qo = QOffset(l, b, h), ko = KvOffset(l, b, h / l.Group), oo = OutOffset(l, b, h);
            long pOff = ((long)b * l.Heads + h) * seq * seq;
            var p = probs.Slice((int)(((long)b * l.Heads + h) * seq * rl), seq * rl);
            for (int t = 0; t < seq; t++)
            {
                for (int s = 0; s < seq; s++)
                {
                    int j = Column(l, sc, t, s);
                    pr[s] = j >= 0 ? p[t * rl + j] : 0.0;
                }
                double dot = 0;
                for (int s = 0; s < seq; s++)
                {
                    double dp = 0;
                    for (int i = 0; i < d; i++) dp += (double)dOutput[(int)(oo + (long)t * l.LdOut + i)] * v[(int)(ko + (long)s * l.LdKv + i)];
                    dz[s] = dp * Dropout.Multiplier(dropout, seed, pOff + t * seq + s);
                    dot += dz[s] * pr[s];
                }
                for (int s = 0; s < seq; s++)
                {
                    dz[s] = pr[s] * (dz[s] - dot);
                    if (sc.SoftCap > 0f)
                    {
                        double raw = 0;
                        for (int i = 0; i < d; i++) raw += (double)q[(int)(qo + (long)t * l.LdQ + i)] * k[(int)(ko + (long)s * l.LdKv + i)];
                        double th = Math.Tanh(raw * sc.Scale / sc.SoftCap);
                        dz[s] *= 1 - th * th;
                    }
                    for (int i = 0; i < d; i++)
                    {
                        dvAcc[ko + (long)s * l.LdKv + i] += pr[s] * Dropout.Multiplier(dropout, seed, pOff + t * seq + s)
                            * (double)dOutput[(int)(oo + (long)t * l.LdOut + i)];
                        dkAcc[ko + (long)s * l.LdKv + i] += sc.Scale * dz[s] * q[(int)(qo + (long)t * l.LdQ + i)];
                    }
                }
                for (int i = 0; i < d; i++)
                {
                    double acc = 0;
                    for (int s = 0; s < seq; s++) acc += dz[s] * k[(int)(ko + (long)s * l.LdKv + i)];
                    dq[(int)(qo + (long)t * l.LdQ + i)] = (float)(sc.Scale * acc);
                }
            }
        }
        for (int b = 0; b < l.Batch; b++)
        for (int kvh = 0; kvh < l.KvHeads; kvh++)
        for (int t = 0; t < seq; t++)
        for (int i = 0; i < d; i++)
        {
            long o = KvOffset(l, b, kvh) + (long)t * l.LdKv + i;
            dk[(int)o] = (float)dkAcc[o];
            dv[(int)o] = (float)dvAcc[o];
        }
    }
}
