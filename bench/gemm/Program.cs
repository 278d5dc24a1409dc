using System.Diagnostics;
using Skald.Tensors;
using Skald.Tensors.Gemm;

// GFLOP/s of the GEMM backends on the shapes that dominate sentence-transformer inference.
// Usage: dotnet run -c Release --project bench/gemm [-- --threads N] [--quick] [--only NAME] [--cpu] [--variants]
// [--shapes skinny|large|encode|training] (encode: the Linear shapes of a 12x384 / 12x768 BERT at 32 x 32 tokens; training: a 12x384 MNRL step's forward, dX and dW products at 32 x 128 tokens). Ratios are OpenBLAS time / this time (> 1: faster than OpenBLAS); "+pk" rows read the B
// operand pre-packed (PackedMatrix), as an encoder's inference pass reads its weights.
int threads = Environment.ProcessorCount;
bool quick = false;
string? only = null;
string? shapeSet = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--threads" && i + 1 < args.Length) threads = int.Parse(args[++i]);
    else if (args[i] == "--quick") quick = true;
    else if (args[i] == "--only" && i + 1 < args.Length) only = args[++i];
    else if (args[i] == "--cpu") CpuClock.Enabled = true;
    else if (args[i] == "--shapes" && i + 1 < args.Length) shapeSet = args[++i];
}
Parallelism.MaxThreads = threads;

var backends = new List<IGemmBackend> { new ManagedGemm() };
if (args.Contains("--variants"))
    backends = [new ManagedGemm(ManagedGemmKernel.Vector256), new ManagedGemm(ManagedGemmKernel.Vector256Wide)];
if (GemmBackends.TryCreateOpenBlas() is { } openBlas)
{
    backends.Add(openBlas);
}
else
{
    Console.WriteLine("(OpenBLAS not found: managed only)");
}
if (only is not null) backends = backends.Where(b => b.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToList();

Console.WriteLine($"threads={threads}, cores={Environment.ProcessorCount}, " +
                  $"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "-"}");
Console.WriteLine($"{"shape (M x N x K)",-34} {"backend",-20} {"ms/call",10} {"GFLOP/s",9} {"vs openblas",11}");

var shapes = new (string Label, bool TransA, bool TransB, int M, int N, int K, int Batch)[]
{
    ("1024 x 1024 x 1024", false, false, 1024, 1024, 1024, 1),
    ("1024 x 1024 x 1024 (B^T)", false, true, 1024, 1024, 1024, 1),
    ("4096 x 768 x 768 (x.W^T)", false, true, 4096, 768, 768, 1),
    ("4096 x 3072 x 768 (x.W^T)", false, true, 4096, 3072, 768, 1),
    ("4096 x 768 x 3072 (x.W^T)", false, true, 4096, 768, 3072, 1),
    ("16 x 768 x 768 (x.W^T, 1 query)", false, true, 16, 768, 768, 1),
    ("32 x 768 x 768 (x.W^T)", false, true, 32, 768, 768, 1),
    ("64 x 768 x 768 (x.W^T)", false, true, 64, 768, 768, 1),
    ("32 x 3072 x 768 (x.W^T)", false, true, 32, 3072, 768, 1),
    ("128 x 3072 x 768 (x.W^T)", false, true, 128, 3072, 768, 1),
    ("32 x 384 x 384 (x.W^T)", false, true, 32, 384, 384, 1),
    ("32 x 1152 x 384 (x.W^T, QKV)", false, true, 32, 1152, 384, 1),
    ("128 x 1536 x 384 (x.W^T)", false, true, 128, 1536, 384, 1),
    ("128 x 384 x 1536 (x.W^T)", false, true, 128, 384, 1536, 1),
    ("64 x 1536 x 1536 (x.W^T)", false, true, 64, 1536, 1536, 1),
    ("1024 x 384 x 384 (x.W^T, 32x32 tokens)", false, true, 1024, 384, 384, 1),
    ("1024 x 1152 x 384 (x.W^T, QKV)", false, true, 1024, 1152, 384, 1),
    ("1024 x 1536 x 384 (x.W^T)", false, true, 1024, 1536, 384, 1),
    ("1024 x 384 x 1536 (x.W^T)", false, true, 1024, 384, 1536, 1),
    ("1024 x 2304 x 768 (x.W^T, QKV)", false, true, 1024, 2304, 768, 1),
    ("1024 x 768 x 3072 (x.W^T)", false, true, 1024, 768, 3072, 1),
    ("4096 x 1152 x 384 (train fwd, QKV)", false, true, 4096, 1152, 384, 1),
    ("4096 x 384 x 384 (train fwd, out)", false, true, 4096, 384, 384, 1),
    ("4096 x 1536 x 384 (train fwd, up)", false, true, 4096, 1536, 384, 1),
    ("4096 x 384 x 1536 (train fwd, down)", false, true, 4096, 384, 1536, 1),
    ("4096 x 384 x 1152 (train dX, QKV)", false, false, 4096, 384, 1152, 1),
    ("4096 x 384 x 384 (train dX, out)", false, false, 4096, 384, 384, 1),
    ("4096 x 384 x 1536 (train dX, up)", false, false, 4096, 384, 1536, 1),
    ("4096 x 1536 x 384 (train dX, down)", false, false, 4096, 1536, 384, 1),
    ("1152 x 384 x 4096 (train dW, QKV)", true, false, 1152, 384, 4096, 1),
    ("384 x 384 x 4096 (train dW, out)", true, false, 384, 384, 4096, 1),
    ("1536 x 384 x 4096 (train dW, up)", true, false, 1536, 384, 4096, 1),
    ("384 x 1536 x 4096 (train dW, down)", true, false, 384, 1536, 4096, 1),
    ("384 x [128 x 128 x 32] (Q.K^T)", false, true, 128, 128, 32, 384),
    ("384 x [128 x 32 x 128] (P.V)", false, false, 128, 32, 128, 384),
};

foreach (var s in shapes)
{
    bool skinny = s.M <= 128 && s.Batch == 1, encode = s.M == 1024 && s.Batch == 1, train = s.Label.Contains("train");
    if ((shapeSet == "training") != train) continue;
    if ((shapeSet == "skinny" && !skinny) || (shapeSet == "large" && (skinny || encode || s.Batch > 1))
        || (shapeSet == "encode" && !encode)) continue;
    int lda = s.TransA ? s.M : s.K, ldb = s.TransB ? s.K : s.N, ldc = s.N;
    long sa = (long)s.M * s.K, sb = (long)s.K * s.N, sc = (long)s.M * s.N;
    var rng = new Random(1);
    var a = Fill(rng, sa * s.Batch);
    var b = Fill(rng, sb * s.Batch);
    var c = new float[sc * s.Batch];
    double flops = 2.0 * s.M * s.N * s.K * s.Batch;
    double openBlasMs = double.NaN;
    foreach (var backend in backends.OrderBy(b => b is OpenBlasGemm ? 0 : 1))
    {
        void Run()
        {
            if (s.Batch == 1) backend.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, ldc);
            else backend.SgemmBatched(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, sa, b, ldb, sb, 0f, c, ldc, sc, s.Batch);
        }

        double ms = Time(Run, quick ? 0.3 : 1.5);
        if (backend is OpenBlasGemm) openBlasMs = ms;
        Report(s.Label, backend.Name, ms, flops, openBlasMs);
        if (backend is ManagedGemm mg && s.Batch == 1 && !s.TransA)
        {
            // The weight operand pre-packed once (PackedMatrix), as an encoder's inference pass reads it.
            var packed = mg.Pack(s.TransB, s.K, s.N, b, ldb);
            ms = Time(() => mg.SgemmPacked(false, s.M, 1f, a, lda, packed, 0f, c, ldc), quick ? 0.3 : 1.5);
            Report(s.Label, mg.Name + "+pk", ms, flops, openBlasMs);
        }
        if (backend is OpenBlasGemm ob && s.Batch > 1)
        {
            ob.ParallelBatch = false;
            ms = Time(Run, quick ? 0.3 : 1.5);
            Report(s.Label, "openblas-seq", ms, flops, openBlasMs);
            ob.ParallelBatch = true;
        }
    }
}

// Whole attention forward (scores GEMM + mask + softmax + P·V GEMM) on a fused [B, T, 3C] QKV buffer.
if (shapeSet is null && (only is null || only.Contains("attention", StringComparison.OrdinalIgnoreCase) || only.Contains("managed")))
{
    foreach (var (batch, seq, heads, headDim) in new[] { (32, 128, 12, 64), (32, 128, 12, 32), (1, 16, 12, 64) })
    {
        int c = heads * headDim;
        var rng = new Random(2);
        var qkv = Fill(rng, (long)batch * seq * 3 * c);
        var mask = new float[batch * seq];
        var output = new float[batch * seq * c];
        var probs = new float[batch * heads * seq * seq];
        double flops = 4.0 * batch * heads * seq * seq * headDim;
        double ms = Time(() => Skald.Tensors.Kernels.Attention.Forward(qkv, qkv.AsSpan(c), qkv.AsSpan(2 * c), 3 * c,
            mask, output, probs, batch, seq, heads, headDim, 0.125f), quick ? 0.3 : 1.5);
        Console.WriteLine($"{$"attention fwd B={batch} T={seq} H={heads} D={headDim}",-34} {"Attention",-16} " +
                          $"{ms,10:F3} {flops / (ms * 1e6),9:F1}");
    }
}

// Element-wise / row kernels against their scalar reference twins, on BERT-base activation sizes (4096 tokens).
if (shapeSet is null && (only is null || only.Contains("kernels", StringComparison.OrdinalIgnoreCase)))
{
    const int rows = 4096, cols = 768, inter = 3072;
    var rng = new Random(3);
    var x = Fill(rng, (long)rows * inter);
    var y = new float[x.Length];
    var gamma = Fill(rng, cols);
    var beta = Fill(rng, cols);
    var stats = new float[rows];
    var stats2 = new float[rows];
    var cases = new (string Label, Action Fast, Action Reference)[]
    {
        ($"gelu [{rows} x {inter}]", () => Skald.Tensors.Kernels.Activations.Gelu(x, y),
            () => Skald.Tensors.Kernels.Activations.GeluReference(x, y)),
        ($"gelu_tanh [{rows} x {inter}]", () => Skald.Tensors.Kernels.Activations.GeluTanh(x, y),
            () => Skald.Tensors.Kernels.Activations.GeluTanhReference(x, y)),
        ($"layernorm [{rows} x {cols}]",
            () => Skald.Tensors.Kernels.LayerNorm.Forward(x, gamma, beta, y, stats, stats2, rows, cols, 1e-12f),
            () => Skald.Tensors.Kernels.LayerNorm.ForwardReference(x, gamma, beta, y, stats, stats2, rows, cols, 1e-12f)),
        ($"softmax [{rows * 3} x 128]", () => Skald.Tensors.Kernels.Softmax.Forward(x, y, rows * 3, 128),
            () => Skald.Tensors.Kernels.Softmax.ForwardReference(x, y, rows * 3, 128)),
    };
    Console.WriteLine($"{"kernel",-34} {"fast ms",10} {"ref ms",10} {"speed-up",9}");
    foreach (var (label, fast, reference) in cases)
    {
        double f = Time(fast, quick ? 0.3 : 1.0), r = Time(reference, quick ? 0.3 : 1.0);
        Console.WriteLine($"{label,-34} {f,10:F3} {r,10:F3} {r / f,8:F1}x");
    }
}

static void Report(string label, string name, double ms, double flops, double openBlasMs) =>
    Console.WriteLine($"{label,-34} {name,-20} {ms,10:F3} {flops / (ms * 1e6),9:F1} " +
                      (double.IsNaN(openBlasMs) ? "" : $"{openBlasMs / ms,10:F2}x"));

static float[] Fill(Random rng, long n)
{
    var x = new float[n];
    for (long i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() - 0.5);
    return x;
}

// Warm up (JIT tiers, packing buffers), then best-of-several average over about `seconds`.
// With --cpu the clock is the process's CPU time (CLOCK_PROCESS_CPUTIME_ID): on a loaded machine it counts only the
// time this process ran, so GFLOP/s per busy core stays comparable between runs (it hides idle threads, though).
static double Time(Action run, double seconds)
{
    for (int i = 0; i < 3; i++) run();
    var sw = Stopwatch.StartNew();
    int calls = 0;
    while (sw.Elapsed.TotalSeconds < 0.2) { run(); calls++; }
    int perRound = Math.Max(1, calls);
    double best = double.MaxValue;
    var total = Stopwatch.StartNew();
    while (total.Elapsed.TotalSeconds < seconds || best == double.MaxValue)
    {
        double start = CpuClock.NowMs(sw);
        for (int i = 0; i < perRound; i++) run();
        best = Math.Min(best, (CpuClock.NowMs(sw) - start) / perRound);
    }
    return best;
}

/// <summary>Wall clock (a running stopwatch) or, when enabled, the process CPU clock, in milliseconds.</summary>
internal static class CpuClock
{
    public static bool Enabled;

    public static double NowMs(Stopwatch wall)
    {
        if (!Enabled) return wall.Elapsed.TotalMilliseconds;
        clock_gettime(2, out var ts); // CLOCK_PROCESS_CPUTIME_ID
        return ts.Seconds * 1e3 + ts.Nanoseconds / 1e6;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clock, out TimeSpec ts);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
