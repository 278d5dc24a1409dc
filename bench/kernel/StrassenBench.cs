using System.Runtime.Intrinsics;
using Skald.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Bench.Kernel;

/// <summary>
/// One level of Strassen's algorithm over the pre-packed GEMM (single thread) against the production product, to
/// measure whether 7 half-size products instead of 8 pay on this host (bench/kernel/README.md: they do not). C = A·Wᵀ
/// with A [M, K] and W [N, K] split in halves: M1 = (A11 + A22)(B11 + B22), M2 = (A21 + A22)B11, M3 = A11(B12 − B22),
/// M4 = A22(B21 − B11), M5 = (A11 + A12)B22, M6 = (A21 − A11)(B11 + B12), M7 = (A12 − A22)(B21 + B22);
/// C11 = M1 + M4 − M5 + M7, C12 = M3 + M5, C21 = M2 + M4, C22 = M1 − M2 + M3 + M6. M must be a multiple of 24.
/// </summary>
internal static unsafe class StrassenBench
{
    public static void Run(int rounds, double seconds, string shapeSet, int m)
    {
        var shapes = WholeGemmBench.Shapes(shapeSet);
        Parallelism.MaxThreads = 1;
        var gemm = new ManagedGemm(ManagedGemmKernel.Vector512);
        var rng = new Random(7);
        Console.WriteLine($"-- Strassen one level vs prod, M = {m}, 1 thread, effective GFLOP/s per CPU s");
        double tp = 0, ts = 0;
        foreach (var (label, k, n) in shapes)
        {
            var a = Fill(rng, (long)m * k);
            var w = Fill(rng, (long)n * k);
            var c1 = new float[(long)m * n];
            var c2 = new float[(long)m * n];
            var packed = gemm.Pack(true, k, n, w, k);
            var s = new Strassen(w, k, n);
            double flops = 2.0 * m * n * k;
            double bp = double.MaxValue, bs = double.MaxValue;
            for (int r = 0; r < rounds; r++)
            {
                for (int v = 0; v < 2; v++)
                {
                    void Call()
                    {
                        if (v == 0) gemm.SgemmPacked(false, m, 1f, a, k, packed, 0f, c1, n);
                        else s.Multiply(a, m, c2);
                    }
                    if (r == 0) for (int i = 0; i < 2; i++) Call();
                    int reps = Math.Max(1, (int)(seconds * 150e9 / flops));
                    double c0 = CpuTime.Process();
                    for (int i = 0; i < reps; i++) Call();
                    double cpu = (CpuTime.Process() - c0) / reps;
                    if (v == 0) bp = Math.Min(bp, cpu); else bs = Math.Min(bs, cpu);
                }
            }
            double maxDiff = 0, maxRef = 0;
            for (long i = 0; i < c1.Length; i++) { maxDiff = Math.Max(maxDiff, Math.Abs(c1[i] - c2[i])); maxRef = Math.Max(maxRef, Math.Abs(c1[i])); }
            tp += bp; ts += bs;
            Console.WriteLine($"{label + $" ({k}, {n})",-28} prod {flops / bp / 1e9,6:F0}  strassen {flops / bs / 1e9,6:F0}  speedup {bp / bs,5:F3}  maxdiff {maxDiff:E1} (max |c| {maxRef:F1})");
        }
        Console.WriteLine($"total speedup {tp / ts:F3}");
    }

    private static float[] Fill(Random rng, long n)
    {
        var x = new float[n];
        for (long i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() - 0.5);
        return x;
    }

    private sealed class Strassen
    {
        private readonly int k, n, k2, n2;
        private readonly float[][] packedB = new float[7][];
        private readonly float[] scratch;
        private readonly float[] tile = new float[12 * 32 + 16];

        // Product i: A quadrants (x, y) a1 [+/- a2], dests (quadrant, sign).
        private static readonly (int A1, int A2, float ASign, int D1, int D2, float D2Sign)[] Products =
        [
            (0, 3, 1f, 0, 3, 1f),   // M1 = (A11 + A22)(B11 + B22): C11 +, C22 +
            (2, 3, 1f, 2, 3, -1f),  // M2 = (A21 + A22) B11: C21 +, C22 -
            (0, -1, 0f, 1, 3, 1f),  // M3 = A11 (B12 - B22): C12 +, C22 +
            (3, -1, 0f, 0, 2, 1f),  // M4 = A22 (B21 - B11): C11 +, C21 +
            (0, 1, 1f, 1, 0, -1f),  // M5 = (A11 + A12) B22: C12 +, C11 -
            (2, 0, -1f, 3, -1, 0f), // M6 = (A21 - A11)(B11 + B12): C22 +
            (1, 3, -1f, 0, -1, 0f), // M7 = (A12 - A22)(B21 + B22): C11 +
        ];

        public Strassen(float[] w, int k, int n)
        {
            this.k = k; this.n = n; k2 = k / 2; n2 = n / 2;
            scratch = new float[5L * 288 * k2 + 16];
            float B(int x, int y, int p, int j) => w[(long)(y * n2 + j) * k + x * k2 + p];
            Func<int, int, float>[] combos =
            [
                (p, j) => B(0, 0, p, j) + B(1, 1, p, j),
                (p, j) => B(0, 0, p, j),
                (p, j) => B(0, 1, p, j) - B(1, 1, p, j),
                (p, j) => B(1, 0, p, j) - B(0, 0, p, j),
                (p, j) => B(1, 1, p, j),
                (p, j) => B(0, 0, p, j) + B(0, 1, p, j),
                (p, j) => B(1, 0, p, j) + B(1, 1, p, j),
            ];
            var tmp = new float[(long)k2 * n2];
            for (int i = 0; i < 7; i++)
            {
                for (int p = 0; p < k2; p++)
                    for (int j = 0; j < n2; j++) tmp[(long)p * n2 + j] = combos[i](p, j);
                packedB[i] = GC.AllocateUninitializedArray<float>(k2 * n2 + 16, pinned: true);
                fixed (float* t = tmp, d = packedB[i])
                {
                    var g = new GemmArgs { K = k2, N = n2, Ldb = n2, B = t };
                    GemmDriver.PackB(g, 0, k2, 0, n2, d, 32);
                }
            }
        }

        public static int MC = int.Parse(Environment.GetEnvironmentVariable("SMC") ?? "48");
        public static bool NoMerge = Environment.GetEnvironmentVariable("SNOMERGE") == "1";
        public static int JB = int.Parse(Environment.GetEnvironmentVariable("SJB") ?? "128");

        public void Multiply(float[] aArr, int m, float[] cArr)
        {
            int m2 = m / 2, mcMax = MC;
            fixed (float* a = aArr, c = cArr, sc = scratch, t = tile)
            {
                var aps = stackalloc float*[7];
                var ldas = stackalloc int[7];
                for (int ic = 0; ic < m2; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, m2 - ic);
                    int slot = 0;
                    for (int pi = 0; pi < 7; pi++)
                    {
                        var pr = Products[pi];
                        float* a1 = a + Off(pr.A1, m2, k, k2) + (long)ic * k;
                        if (pr.A2 < 0) { aps[pi] = a1; ldas[pi] = k; continue; }
                        float* a2 = a + Off(pr.A2, m2, k, k2) + (long)ic * k;
                        float* dst = sc + (long)slot++ * mcMax * k2;
                        var sv = Vector512.Create(pr.ASign);
                        for (int r = 0; r < mc; r++)
                        {
                            float* s1 = a1 + (long)r * k, s2 = a2 + (long)r * k, d = dst + r * k2;
                            int p = 0;
                            for (; p + 16 <= k2; p += 16)
                                Vector512.FusedMultiplyAdd(Vector512.Load(s2 + p), sv, Vector512.Load(s1 + p)).Store(d + p);
                            for (; p < k2; p++) d[p] = s1[p] + pr.ASign * s2[p];
                        }
                        aps[pi] = dst; ldas[pi] = k2;
                    }
                    for (int jb = 0; jb < n2; jb += JB)
                    {
                        int jbEnd = Math.Min(n2, jb + JB);
                        for (int pi = 0; pi < 7; pi++)
                        {
                            var pr = Products[pi];
                            bool first1 = pi == 0 || (pi == 1 && pr.D1 == 2) || (pi == 2 && pr.D1 == 1);
                            bool first2 = pi == 0 && pr.D2 == 3;
                            float* ap = aps[pi]; int lda = ldas[pi];
                            float* d1 = c + Off(pr.D1, m2, n, n2) + (long)ic * n;
                            float* d2 = pr.D2 >= 0 ? c + Off(pr.D2, m2, n, n2) + (long)ic * n : null;
                            var s2v = Vector512.Create(pr.D2Sign);
                            fixed (float* bpi = packedB[pi])
                            for (int ir = 0; ir + 12 <= mc; ir += 12)
                            {
                                for (int jr = jb; jr < jbEnd; jr += 32)
                                {
                                    float* bp = bpi + (long)jr / 32 * k2 * 32;
                                    MicroKernels.Kernel12x32V512Direct(k2, ap + (long)ir * lda, lda, bp, t, 32, 0f, null);
                                    float* o1 = d1 + (long)ir * n + jr;
                                    if (NoMerge) continue;
                                    for (int r = 0; r < 12; r++)
                                    {
                                        var lo = Vector512.Load(t + r * 32); var hi = Vector512.Load(t + r * 32 + 16);
                                        float* row = o1 + (long)r * n;
                                        if (first1) { lo.Store(row); hi.Store(row + 16); }
                                        else { (Vector512.Load(row) + lo).Store(row); (Vector512.Load(row + 16) + hi).Store(row + 16); }
                                        if (d2 != null)
                                        {
                                            float* row2 = d2 + (long)(ir + r) * n + jr;
                                            if (first2) { lo.Store(row2); hi.Store(row2 + 16); }
                                            else
                                            {
                                                Vector512.FusedMultiplyAdd(lo, s2v, Vector512.Load(row2)).Store(row2);
                                                Vector512.FusedMultiplyAdd(hi, s2v, Vector512.Load(row2 + 16)).Store(row2 + 16);
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        private static long Off(int q, int rows2, int ld, int cols2) => (long)(q >> 1) * rows2 * ld + (q & 1) * cols2;
    }
}
