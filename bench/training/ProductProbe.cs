using System.Diagnostics;
using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Bench.Training;

/// <summary>
/// <c>--products</c>: the three products of each Linear of a 12×384 BERT's MNRL step (y = x·Wᵀ, dx = dy·W,
/// dW += dyᵀ·x at the step's rows), each timed on <see cref="ManagedGemm"/>'s unpacked entry inside a training scope
/// with the FMA kernels (<see cref="SixTermProducts.Override"/> −1) and with six-term products (1) at each
/// <see cref="SixTermProducts.BlockChunks"/> and <see cref="SixTermProducts.OwnBlocks"/> asked for, the configurations
/// interleaved round by round; GFLOP per CPU second of the process (best and median of the rounds), and the CPU seconds
/// the step's 12 layers spend in these products. dW is timed a second time as the step takes it since 2026-12-08
/// (<see cref="WeightGradient"/>: the rows in chunks; "dW chunks", not counted in the step's sum).
/// </summary>
internal static class ProductProbe
{
    // (in, out) of the four Linears of a layer: QKV, attention output, FFN in, FFN out.
    private static readonly (string Name, int In, int Out)[] Linears =
        [("qkv", 384, 1152), ("attn-out", 384, 384), ("ffn-in", 384, 1536), ("ffn-out", 1536, 384)];

    private sealed record Config(string Name, int Route, int BlockChunks, int OwnBlocks);

    public static void Run(string[] args)
    {
        int rounds = Arg(args, "--rounds", 3), rows = Arg(args, "--rows", 12288), layers = Arg(args, "--layers", 12);
        var calls = List(args, "--block-chunks", "24");
        var owns = List(args, "--own-blocks", "4");
        var configs = new List<Config> { new("fma", -1, 0, 0) };
        foreach (int c in calls)
        foreach (int o in owns) configs.Add(new($"six k{c} o{o}", 1, c, o));
        var rng = new Random(5);
        var gemm = new ManagedGemm();
        var proc = Process.GetCurrentProcess();
        var results = new Dictionary<(string, string, string), List<double>>();
        for (int round = 0; round < rounds; round++)
        {
            foreach (var (name, inF, outF) in Linears)
            {
                float[] x = Fill(rng, rows * inF), w = Fill(rng, outF * inF), dy = Fill(rng, rows * outF);
                float[] y = new float[rows * outF], dx = new float[rows * inF], dw = new float[outF * inF];
                float[] scratch = new float[WeightGradient.ScratchLength(rows, outF, inF)];
                var products = new (string Kind, Action Run)[]
                {
                    ("y=x·Wᵀ", () => gemm.Sgemm(false, true, rows, outF, inF, 1f, x, inF, w, inF, 0f, y, outF)),
                    ("dx=dy·W", () => gemm.Sgemm(false, false, rows, inF, outF, 1f, dy, outF, w, inF, 0f, dx, inF)),
                    ("dW+=dyᵀ·x", () => gemm.Sgemm(true, false, outF, inF, rows, 1f, dy, outF, x, inF, 1f, dw, inF)),
                    ("dW chunks", () => WeightGradient.Accumulate(dy, outF, x, dw, rows, outF, inF, scratch)),
                };
                double flop = 2.0 * rows * inF * outF;
                foreach (var (kind, run) in products)
                foreach (var config in configs)
                {
                    double seconds = Time(proc, config, run);
                    var key = (name, kind, config.Name);
                    if (!results.TryGetValue(key, out var list)) results[key] = list = [];
                    list.Add(seconds);
                    Console.Error.WriteLine($"round {round} {name} {kind} {config.Name}: {flop / seconds / 1e9:F0} GFLOP per CPU s");
                }
            }
        }
        Console.WriteLine($"rows {rows}, {rounds} rounds, load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{"linear",-9} {"product",-11} " + string.Join(" ", configs.Select(c => $"{c.Name,14}")) + "   (GFLOP per CPU s, median of rounds)");
        var stepSeconds = new double[configs.Count];
        foreach (var (name, inF, outF) in Linears)
        foreach (string kind in new[] { "y=x·Wᵀ", "dx=dy·W", "dW+=dyᵀ·x", "dW chunks" })
        {
            double flop = 2.0 * rows * inF * outF;
            var cells = configs.Select((c, i) =>
            {
                double median = Median(results[(name, kind, c.Name)]);
                if (kind != "dW chunks") stepSeconds[i] += layers * median;
                return $"{flop / median / 1e9,14:F0}";
            });
            Console.WriteLine($"{name,-9} {kind,-11} " + string.Join(" ", cells));
        }
        Console.WriteLine($"{"step's",-9} {"products",-11} " + string.Join(" ", stepSeconds.Select(s => $"{s,12:F2} s")) + $"   (CPU s, {layers} layers)");
    }

    // CPU seconds of one call: the mean of the calls of at least 0.6 CPU s (the process clock ticks at 10 ms), after one
    // warm-up call.
    private static double Time(Process proc, Config config, Action run)
    {
        int route = SixTermProducts.Override, calls = SixTermProducts.BlockChunks, own = SixTermProducts.OwnBlocks;
        int scope = SixTermProducts.Enter();
        SixTermProducts.Override = config.Route;
        if (config.Route > 0)
        {
            SixTermProducts.BlockChunks = config.BlockChunks;
            SixTermProducts.OwnBlocks = config.OwnBlocks;
        }
        try
        {
            run();
            proc.Refresh();
            double c0 = proc.TotalProcessorTime.TotalSeconds, spent = 0;
            int n = 0;
            while (spent < 0.6 || n < 3)
            {
                run();
                n++;
                proc.Refresh();
                spent = proc.TotalProcessorTime.TotalSeconds - c0;
            }
            return spent / n;
        }
        finally
        {
            SixTermProducts.Override = route;
            SixTermProducts.BlockChunks = calls;
            SixTermProducts.OwnBlocks = own;
            SixTermProducts.Restore(scope);
        }
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static float[] Fill(Random rng, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() - 0.5);
        return v;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }

    private static int[] List(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return (i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback).Split(',').Select(int.Parse).ToArray();
    }
}
