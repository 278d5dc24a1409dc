using Skald.Tensors.Gemm;
using Bf16 = Skald.Tensors.Kernels.Bf16;

// How accurate is a float32 product formed from bfloat16 pieces (`--bf16-accuracy`)? y = x · Wᵀ on BERT-like shapes
// (x [64, K] like post-LayerNorm activations with a few outlier channels, or GELU outputs at K = 3072; W [128, K] like
// trained weights, N(0, 0.03²)), against float64: Skald's float32 GEMM (the FMA kernels, Blas.Sgemm), and the AMX
// products of 1, 5 (W in two pieces), 6 and 9 bfloat16-piece terms computed by a scalar model of tdpbf16ps that
// bench/amx --bf16-twin matched bit for bit (per instruction, 32 k: the even-k and odd-k partial sums from zero, FMA
// with flush to zero, their sum added to the tile). Error of each output in units of u = 2⁻²⁴ of Σ|x·w| (the
// size a summation error bound scales with), and relative to |y|.
internal static class Bf16Accuracy
{
    private static readonly (int A, int B)[] One = [(0, 0)];
    private static readonly (int A, int B)[] Five = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)];
    private static readonly (int A, int B)[] Six = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0)];
    private static readonly (int A, int B)[] Nine = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)];

    public static void Run()
    {
        const int m = 64, n = 128;
        Console.WriteLine("bf16-piece accuracy against float64: max / mean error in u = 2^-24 of sum|x w|; max / mean |error| / |y|");
        foreach (int k in new[] { 384, 768, 1536, 3072 })
        {
            var rng = new Random(k);
            var x = new float[m * k];
            var w = new float[n * k];
            var outlier = new bool[k];
            for (int t = 0; t < k; t++) outlier[t] = rng.NextDouble() < 0.02;
            for (int i = 0; i < m; i++)
            for (int t = 0; t < k; t++)
            {
                double g = Gauss(rng);
                x[i * k + t] = (float)(k == 3072 ? 0.5 * g * (1 + Math.Tanh(0.79788456 * (g + 0.044715 * g * g * g))) : outlier[t] ? 8 * g : g);
            }
            for (int i = 0; i < w.Length; i++) w[i] = (float)(0.03 * Gauss(rng));
            var exact = new double[m * n];
            var scale = new double[m * n];
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, sa = 0;
                for (int t = 0; t < k; t++) { double p = (double)x[i * k + t] * w[j * k + t]; s += p; sa += Math.Abs(p); }
                exact[i * n + j] = s;
                scale[i * n + j] = sa;
            }
            var fma = new float[m * n];
            Blas.Sgemm(false, true, m, n, k, 1f, x, k, w, k, 0f, fma, n);
            Report($"K={k} FMA float32 GEMM ({Blas.Backend.GetType().Name})", fma, exact, scale);
            var xs = Pieces(x);
            var ws = Pieces(w);
            foreach (var (name, terms) in new[] { ("1 term (bf16)", One), ("5 terms (W 2 pieces)", Five), ("6 terms", Six), ("9 terms", Nine) })
                Report($"K={k} {name}", Amx(xs, ws, m, n, k, terms), exact, scale);
        }
    }

    private static void Report(string what, float[] y, double[] exact, double[] scale)
    {
        double max = 0, sum = 0, rmax = 0, rsum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double e = Math.Abs(y[i] - exact[i]), u = e / scale[i] / Math.Pow(2, -24), r = e / Math.Abs(exact[i]);
            max = Math.Max(max, u);
            sum += u;
            rmax = Math.Max(rmax, r);
            rsum += r;
        }
        Console.WriteLine($"  {what}: {max:F3} / {sum / y.Length:F4} u; relative {rmax:E2} / {rsum / y.Length:E2}");
    }

    // x = p0 + p1 + p2 exactly, each bfloat16 (to nearest even).
    private static float[][] Pieces(float[] v)
    {
        var p = new[] { new float[v.Length], new float[v.Length], new float[v.Length] };
        for (int i = 0; i < v.Length; i++)
        {
            float rest = v[i];
            for (int s = 0; s < 3; s++)
            {
                p[s][i] = Bf16.ToSingle(Bf16.FromSingle(rest));
                rest -= p[s][i];
            }
        }
        return p;
    }

    private static float[] Amx(float[][] x, float[][] w, int m, int n, int k, (int A, int B)[] terms)
    {
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            float c = 0f;
            for (int k0 = 0; k0 < k; k0 += 32)
            foreach (var (pa, pb) in terms)
            {
                float even = 0f, odd = 0f;
                for (int t = k0; t < k0 + 32; t += 2)
                {
                    even = Z(MathF.FusedMultiplyAdd(x[pa][i * k + t], w[pb][j * k + t], even));
                    odd = Z(MathF.FusedMultiplyAdd(x[pa][i * k + t + 1], w[pb][j * k + t + 1], odd));
                }
                c = Z(c + Z(even + odd));
            }
            y[i * n + j] = c;
        }
        return y;
    }

    private static float Z(float v) => float.IsSubnormal(v) ? (float.IsNegative(v) ? -0f : 0f) : v;

    private static double Gauss(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
