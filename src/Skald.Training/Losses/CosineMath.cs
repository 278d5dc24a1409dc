using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>Row normalisation (F.normalize, eps 1e-12) and its backward, in double precision, for the losses.</summary>
internal static class CosineMath
{
    /// <summary>Unit rows (double) and the norms.</summary>
    public static (double[] Unit, double[] Norms) Normalize(EmbeddingBatch x)
    {
        var unit = new double[x.Data.Length];
        var norms = new double[x.Rows];
        for (int r = 0; r < x.Rows; r++)
        {
            var row = x.Row(r);
            double s = 0;
            foreach (float v in row) s += (double)v * v;
            double n = Math.Sqrt(s);
            norms[r] = n;
            double inv = 1.0 / Math.Max(n, 1e-12);
            for (int j = 0; j < x.Dim; j++) unit[r * x.Dim + j] = row[j] * inv;
        }
        return (unit, norms);
    }

    /// <summary>Writes dx = (dŷ − ŷ(ŷ·dŷ)) / ‖x‖ into <paramref name="dx"/> (adds when <paramref name="accumulate"/>).</summary>
    public static void Backward(double[] unit, double[] norms, double[] dUnit, EmbeddingBatch dx, bool accumulate = false)
    {
        int d = dx.Dim;
        for (int r = 0; r < dx.Rows; r++)
        {
            double dot = 0;
            for (int j = 0; j < d; j++) dot += unit[r * d + j] * dUnit[r * d + j];
            var o = dx.Row(r);
            bool clamped = norms[r] <= 1e-12;
            double inv = 1.0 / Math.Max(norms[r], 1e-12);
            for (int j = 0; j < d; j++)
            {
                double g = clamped ? dUnit[r * d + j] * inv : (dUnit[r * d + j] - unit[r * d + j] * dot) * inv;
                o[j] = accumulate ? (float)(o[j] + g) : (float)g;
            }
        }
    }

    public static double Dot(double[] a, int ra, double[] b, int rb, int d)
    {
        double s = 0;
        for (int j = 0; j < d; j++) s += a[ra * d + j] * b[rb * d + j];
        return s;
    }

    /// <summary>log Σ exp(v) (stable).</summary>
    public static double LogSumExp(ReadOnlySpan<double> v)
    {
        double m = double.NegativeInfinity;
        foreach (double x in v) m = Math.Max(m, x);
        double s = 0;
        foreach (double x in v) s += Math.Exp(x - m);
        return m + Math.Log(s);
    }
}
