namespace Skald.Models.Modules;

public static partial class Pooling
{
    /// <summary>
    /// Scalar double-precision twin of
    /// <see cref="Forward(PoolingConfig, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, Span{float}, int, ReadOnlySpan{int})"/>
    /// (the tests' reference): lists the real and pooled token positions of each row, then applies every mode by its
    /// definition, in concatenation order.
    /// </summary>
    public static void ForwardReference(PoolingConfig config, ReadOnlySpan<float> hidden, ReadOnlySpan<int> mask, int batch,
        int seq, Span<float> output, int promptLength = 0, ReadOnlySpan<int> embedMask = default)
    {
        int c = config.Dimension, width = config.OutputDimension;
        int skip = config.IncludePrompt ? 0 : promptLength;
        for (int b = 0; b < batch; b++)
        {
            var h = new double[seq, c];
            for (int t = 0; t < seq; t++)
            {
                for (int j = 0; j < c; j++) h[t, j] = hidden[(b * seq + t) * c + j];
            }
            var real = new List<int>();
            for (int t = 0; t < seq; t++) if (mask[b * seq + t] != 0) real.Add(t);
            var pooled = new List<(int Position, int RealRank)>();
            for (int r = skip; r < real.Count; r++)
            {
                if (embedMask.IsEmpty || embedMask[b * seq + real[r]] != 0) pooled.Add((real[r], r));
            }
            var values = new List<double>(width);
            for (int j = 0; j < c && (config.Modes & PoolingMode.Cls) != 0; j++) values.Add(h[real.Count > 0 ? real[0] : 0, j]);
            for (int j = 0; j < c && (config.Modes & PoolingMode.Max) != 0; j++)
            {
                double m = pooled.Count == seq ? double.NegativeInfinity : -1e9;
                foreach (var p in pooled) m = Math.Max(m, h[p.Position, j]);
                values.Add(m);
            }
            for (int j = 0; j < c && (config.Modes & PoolingMode.Mean) != 0; j++) values.Add(WeightedMean(h, j, pooled, 0));
            for (int j = 0; j < c && (config.Modes & PoolingMode.MeanSqrtLen) != 0; j++)
                values.Add(pooled.Sum(p => h[p.Position, j]) / Math.Sqrt(Math.Max(pooled.Count, 1e-9)));
            for (int j = 0; j < c && (config.Modes & PoolingMode.WeightedMean) != 0; j++) values.Add(WeightedMean(h, j, pooled, 1));
            for (int j = 0; j < c && (config.Modes & PoolingMode.LastToken) != 0; j++)
                values.Add(pooled.Count > 0 ? h[pooled[^1].Position, j] : 0);
            for (int j = 0; j < c && (config.Modes & PoolingMode.WeightedMeanOverPooled) != 0; j++) values.Add(WeightedMean(h, j, pooled, 2));
            for (int i = 0; i < width; i++) output[b * width + i] = (float)values[i];
        }
    }

    /// <summary>Σ w·h / Σ w over the pooled tokens; w = 1 (kind 0), real rank + 1 (kind 1), pooled rank + 1 (kind 2).</summary>
    private static double WeightedMean(double[,] h, int j, List<(int Position, int RealRank)> pooled, int kind)
    {
        double s = 0, w = 0;
        for (int k = 0; k < pooled.Count; k++)
        {
            double weight = kind switch { 0 => 1, 1 => pooled[k].RealRank + 1, _ => k + 1 };
            s += weight * h[pooled[k].Position, j];
            w += weight;
        }
        return s / Math.Max(w, 1e-9);
    }
}
