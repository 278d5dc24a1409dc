using Skald.Tensors.Gemm;

namespace Skald.Bench.Kernel;

/// <summary>
/// The whole pre-packed product C = A·B (M = 1024 tokens, A row-major, as an encoder's Linear layers run it) at the
/// BERT-384 / BERT-768 / Qwen2.5-0.5B shapes, for the production spec and the driver / kernel variants, interleaved
/// round by round; GFLOP/s per process CPU second (and wall), % of the threads × per-core FMA peak.
/// </summary>
internal static unsafe class WholeGemmBench
{
    private sealed record Variant(string Name, ManagedGemm Gemm, int DirectPanels, bool OwnPacking = false);

    public static void Run(int rounds, double seconds, int threads, string? only, string shapeSet, double peakPerCore,
        bool unpacked)
    {
        var shapes = Shapes(shapeSet);
        var prod = ManagedGemm.SpecOf(ManagedGemmKernel.Vector512);
        int panels = GemmDriver.DirectPanels;
        var variants = new List<Variant>
        {
            new("prod", new ManagedGemm(ManagedGemmKernel.Vector512, prod), panels),
            new("kc 256 panels 8", new ManagedGemm(ManagedGemmKernel.Vector512, With(prod, kc: 256)), 8),
            new("kc 512", new ManagedGemm(ManagedGemmKernel.Vector512, With(prod, kc: 512)), panels),
            new("kc 768", new ManagedGemm(ManagedGemmKernel.Vector512, With(prod, kc: 768)), panels),
            new("kc 896", new ManagedGemm(ManagedGemmKernel.Vector512, With(prod, kc: 896)), panels),
            new("panels 2", new ManagedGemm(ManagedGemmKernel.Vector512, prod), 2),
            new("panels 8", new ManagedGemm(ManagedGemmKernel.Vector512, prod), 8),
            new("mc 72", new ManagedGemm(ManagedGemmKernel.Vector512, With(prod, mc: 72)), panels),
            new("mc 288", new ManagedGemm(ManagedGemmKernel.Vector512, With(prod, mc: 288)), panels),
            // The 256-bit tiles (B packed for them): on Zen 4 a 512-bit FMA takes both 256-bit pipes, so the FMA peak is
            // the same at either width and only the instruction count and the tile's loads differ.
            new("avx2 4x24", new ManagedGemm(ManagedGemmKernel.Vector256Wide), panels, OwnPacking: true),
            new("avx2 6x16", new ManagedGemm(ManagedGemmKernel.Vector256), panels, OwnPacking: true),
        };
        if (only != null) variants = variants.Where(v => v.Name == "prod" || only.Split(',').Contains(v.Name)).ToList();
        Console.WriteLine($"-- whole GEMM, M = 1024, B {(unpacked ? "packed per call (x·Wᵀ)" : "pre-packed")}, {threads} thread(s); GFLOP/s per CPU s (wall), CPU figure as % of {peakPerCore} per core");
        Console.WriteLine($"{"shape (K, N)",-28} " + string.Join(" ", variants.Select(v => $"{v.Name,22}")));
        var rng = new Random(7);
        const int m = 1024;
        var totals = new double[variants.Count];
        foreach (var (label, k, n) in shapes)
        {
            var a = Fill(rng, (long)m * k);
            var w = Fill(rng, (long)n * k);
            var c = new float[(long)m * n];
            var packed = variants[0].Gemm.Pack(true, k, n, w, k);
            var packs = variants.Select(v => v.OwnPacking ? v.Gemm.Pack(true, k, n, w, k) : packed).ToArray();
            double flops = 2.0 * m * n * k;
            var bestCpu = new double[variants.Count];
            var bestWall = new double[variants.Count];
            Array.Fill(bestCpu, double.MaxValue);
            Array.Fill(bestWall, double.MaxValue);
            for (int r = 0; r < rounds; r++)
                for (int v = 0; v < variants.Count; v++)
                {
                    GemmDriver.DirectPanels = variants[v].DirectPanels;
                    var gemm = variants[v].Gemm;
                    void Call()
                    {
                        if (unpacked) gemm.Sgemm(false, true, m, n, k, 1f, a, k, w, k, 0f, c, n);
                        else gemm.SgemmPacked(false, m, 1f, a, k, packs[v], 0f, c, n);
                    }
                    if (r == 0) for (int i = 0; i < 3; i++) Call();
                    int reps = Math.Max(1, (int)(seconds * 250e9 / flops));
                    double w0 = System.Diagnostics.Stopwatch.GetTimestamp(), c0 = CpuTime.Process();
                    for (int i = 0; i < reps; i++) Call();
                    double cpu = (CpuTime.Process() - c0) / reps;
                    double wall = (System.Diagnostics.Stopwatch.GetTimestamp() - w0) / System.Diagnostics.Stopwatch.Frequency / reps;
                    bestCpu[v] = Math.Min(bestCpu[v], cpu);
                    bestWall[v] = Math.Min(bestWall[v], wall);
                }
            GemmDriver.DirectPanels = panels;
            var cells = new List<string>();
            for (int v = 0; v < variants.Count; v++)
            {
                double g = flops / bestCpu[v] / 1e9, gw = flops / bestWall[v] / 1e9;
                totals[v] += bestCpu[v];
                cells.Add($"{g,6:F0} ({gw,3:F0}) {100 * g / peakPerCore,4:F0}%".PadLeft(22));
            }
            Console.WriteLine($"{label + $" ({k}, {n})",-28} " + string.Join(" ", cells));
        }
        Console.WriteLine($"{"sum of CPU s, vs prod",-28} " + string.Join(" ", totals.Select(t => $"{t / totals[0],22:F3}")));
    }

    /// <summary>The Linear (K, N) shapes of BERT-384, BERT-768 and Qwen2.5-0.5B ("bert", "qwen" or "all").</summary>
    internal static List<(string Label, int K, int N)> Shapes(string shapeSet)
    {
        var shapes = new List<(string Label, int K, int N)>();
        if (shapeSet is "bert" or "all")
            shapes.AddRange([("bert384 qkv", 384, 1152), ("bert384 out", 384, 384), ("bert384 up", 384, 1536),
                ("bert384 down", 1536, 384), ("bert768 qkv", 768, 2304), ("bert768 out", 768, 768),
                ("bert768 up", 768, 3072), ("bert768 down", 3072, 768)]);
        if (shapeSet is "qwen" or "all")
            shapes.AddRange([("qwen0.5 qkv", 896, 1152), ("qwen0.5 o", 896, 896), ("qwen0.5 gate+up", 896, 9728),
                ("qwen0.5 down", 4864, 896)]);
        return shapes;
    }

    private static KernelSpec With(in KernelSpec s, int kc = 0, int mc = 0,
        delegate*<int, float*, nint, float*, float*, int, float, float*, void> direct = null) =>
        new(s.Name, s.MR, s.NR, kc > 0 ? kc : s.KC, mc > 0 ? mc : s.MC, s.NC, s.Kernel, direct != null ? direct : s.Direct);

    private static float[] Fill(Random rng, long n)
    {
        var x = new float[n];
        for (long i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() - 0.5);
        return x;
    }
}
