namespace Skald.Bench.Common;

/// <summary>How close two engines' sentence embeddings are: the mean-pooled (full rows) hidden states compared by cosine.</summary>
internal static class PooledCosine
{
    /// <summary>
    /// The smallest cosine, over the <paramref name="batch"/> rows, between the summed token states of
    /// <paramref name="a"/> and <paramref name="b"/> ([batch, seq, <paramref name="hidden"/>] row-major; the sum's scale
    /// does not change a cosine, so it stands for the mean).
    /// </summary>
    public static double Min(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int batch, int hidden)
    {
        if (a.Length != b.Length || a.Length % (batch * hidden) != 0) throw new ArgumentException($"{a.Length} and {b.Length} values are not [{batch}, seq, {hidden}] both");
        int row = a.Length / batch;
        var pa = new double[hidden];
        var pb = new double[hidden];
        double min = 1;
        for (int r = 0; r < batch; r++)
        {
            Array.Clear(pa);
            Array.Clear(pb);
            for (int i = 0; i < row; i++)
            {
                pa[i % hidden] += a[r * row + i];
                pb[i % hidden] += b[r * row + i];
            }
            double dot = 0, na = 0, nb = 0;
            for (int h = 0; h < hidden; h++)
            {
                dot += pa[h] * pb[h];
                na += pa[h] * pa[h];
                nb += pb[h] * pb[h];
            }
            min = Math.Min(min, dot / Math.Sqrt(na * nb));
        }
        return min;
    }
}
