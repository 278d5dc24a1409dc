using System.Diagnostics;
using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;

namespace Skald.Bench.Kernel;

/// <summary>
/// Whole encoder forward passes with engine settings switched between passes in one process (packed-only weights, the
/// inference tape <c>skald encode</c> runs): variants alternate pass by pass, so load and frequency drift hit all
/// alike; medians of process CPU and wall per pass. Variants: the production settings, K slices 768 deep, the pool's
/// spin at 500 µs and 2 ms (default 50 µs), uniform chunks instead of guided ones (<see cref="IntraOpPool.Guided"/>) and
/// other guided floors, 8 and 16 chunks per thread (default <see cref="Parallelism.ChunksPerThread"/>).
/// </summary>
internal static unsafe class ForwardBench
{
    private sealed record Variant(string Name, Action Apply, Action Undo);

    public static void Run(string dir, int batch, int seq, int passes, string? only)
    {
        var prodGemm = new ManagedGemm(ManagedGemmKernel.Vector512);
        Blas.Backend = prodGemm;
        var prodSpec = ManagedGemm.SpecOf(ManagedGemmKernel.Vector512);
        var kc768 = new ManagedGemm(ManagedGemmKernel.Vector512, new KernelSpec(prodSpec.Name, prodSpec.MR, prodSpec.NR, 768,
            prodSpec.MC, prodSpec.NC, prodSpec.Kernel, prodSpec.Direct));
        double spin = Parallelism.Pool.SpinMicroseconds;
        int chunks = Parallelism.ChunksPerThread;
        var variants = new List<Variant>
        {
            new("prod", () => { }, () => { }),
            new("kc 768", () => Blas.Backend = kc768, () => Blas.Backend = prodGemm),
            new("spin 2000", () => Parallelism.Pool.SpinMicroseconds = 2000, () => Parallelism.Pool.SpinMicroseconds = spin),
            new("spin 500", () => Parallelism.Pool.SpinMicroseconds = 500, () => Parallelism.Pool.SpinMicroseconds = spin),
            new("uniform", () => IntraOpPool.Guided = false, () => IntraOpPool.Guided = true),
            new("floor 2", () => IntraOpPool.GuidedFloor = 2, () => IntraOpPool.GuidedFloor = 4),
            new("floor 8", () => IntraOpPool.GuidedFloor = 8, () => IntraOpPool.GuidedFloor = 4),
            new("chunks 8", () => Parallelism.ChunksPerThread = 8, () => Parallelism.ChunksPerThread = chunks),
            new("chunks 16", () => Parallelism.ChunksPerThread = 16, () => Parallelism.ChunksPerThread = chunks),
        };
        if (only != null) variants = variants.Where(v => v.Name == "prod" || only.Split(',').Contains(v.Name)).ToList();
        var encoder = ArchitectureRegistry.Load(dir);
        var tape = new Tape(recording: false) { PackWeights = true, KeepPackedOnly = true, DirectAttention = true, HoldWeightPieces = Skald.Models.SentenceEncoder.SpendsMemoryOnSpeed(encoder.Parameters) };
        var tokens = Skald.Bench.Common.SyntheticBatch.Create(batch, seq);
        void Forward()
        {
            tape.Reset();
            encoder.Forward(tape, tokens);
        }
        Forward();
        GC.Collect();
        var cpu = variants.Select(_ => new List<double>()).ToArray();
        var wall = variants.Select(_ => new List<double>()).ToArray();
        for (int p = 0; p < passes; p++)
            for (int v = 0; v < variants.Count; v++)
            {
                variants[v].Apply();
                Forward(); // one pass to settle (threads woken, caches) under this variant
                double c0 = CpuTime.Process();
                long w0 = Stopwatch.GetTimestamp();
                Forward();
                wall[v].Add(Stopwatch.GetElapsedTime(w0).TotalSeconds);
                cpu[v].Add(CpuTime.Process() - c0);
                variants[v].Undo();
            }
        Console.WriteLine($"-- forward {Path.GetFileName(Path.TrimEndingDirectorySeparator(dir))}, batch {batch} × seq {seq}, " +
                          $"{passes} timed passes per variant (alternating); median tokens/s (wall) and per CPU s, vs prod");
        double prodWall = Median(wall[0]), prodCpu = Median(cpu[0]);
        for (int v = 0; v < variants.Count; v++)
        {
            double w = Median(wall[v]), c = Median(cpu[v]);
            Console.WriteLine($"{variants[v].Name,-12} wall {batch * seq / w,8:F0} ({prodWall / w:F3})   per CPU s {batch * seq / c,8:F0} ({prodCpu / c:F3})");
        }
    }

    private static double Median(List<double> x)
    {
        var s = x.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
