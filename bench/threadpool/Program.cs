using System.Diagnostics;
using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

// Cost of a parallel region: Skald's intra-op pool (Parallelism.OwnPool = true) against Parallel.For (false), on
// kernels at the shapes of a small BERT pass (batch 32 x seq 32 = 1024 rows, hidden 384). The two modes alternate in
// short blocks inside one process, so machine load hits both alike; medians over blocks of wall and process-CPU
// microseconds per call. --model DIR adds a whole encoder forward pass (packed weights, batch 32, the --seq length),
// the modes alternating per block of passes. Usage: dotnet run -c Release --project bench/threadpool [-- --blocks N]
// [--block-ms MS] [--model DIR] [--seq T] [--only-model]
int blocks = 15, seq = 32;
double blockMs = 300;
string? modelDir = null;
bool onlyModel = false;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--blocks") blocks = int.Parse(args[++i]);
    else if (args[i] == "--block-ms") blockMs = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
    else if (args[i] == "--model") modelDir = args[++i];
    else if (args[i] == "--seq") seq = int.Parse(args[++i]);
    else if (args[i] == "--only-model") onlyModel = true;
}

const int cols = 384;
var rng = new Random(1);
float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
float[] x = Random(1024 * cols), y = new float[1024 * cols], gamma = Random(cols), beta = Random(cols);
float[] mean = new float[1024], rstd = new float[1024];
float[] w = Random(cols * cols), c = new float[1024 * cols];
var cases = new (string Name, Action Run)[]
{
    ("layernorm 128x384 (tiny region)", () => LayerNorm.Forward(x.AsSpan(0, 128 * cols), gamma, beta, y, mean, rstd, 128, cols, 1e-12f)),
    ("layernorm 1024x384", () => LayerNorm.Forward(x, gamma, beta, y, mean, rstd, 1024, cols, 1e-12f)),
    ("sgemm 1024x384x384", () => Blas.Backend.Sgemm(false, true, 1024, cols, cols, 1f, x, cols, w, cols, 0f, c, cols)),
};
if (onlyModel) cases = [];
if (modelDir is not null)
{
    const int batch = 32;
    var encoder = ArchitectureRegistry.Load(modelDir);
    var tape = new Tape(recording: false) { PackWeights = true, HoldWeightPieces = Skald.Models.SentenceEncoder.SpendsMemoryOnSpeed(encoder.Parameters) };
    var ids = new int[batch * seq];
    var mask = new int[batch * seq];
    for (int i = 0; i < ids.Length; i++)
    {
        ids[i] = 1000 + (i / seq * 131 + i % seq * 17) % 20000;
        mask[i] = 1;
    }
    var tokens = new TokenBatch(ids, mask, new int[batch * seq], batch, seq);
    cases = [.. cases, ($"{Path.GetFileName(Path.TrimEndingDirectorySeparator(modelDir))} forward {batch}x{seq}", () =>
    {
        tape.Reset();
        encoder.Forward(tape, tokens);
    })];
}

Console.WriteLine($"threads={Parallelism.MaxThreads}, gemm={Blas.Backend.Name}, blocks={blocks} x {blockMs} ms per mode and case, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
Console.WriteLine($"{"case",-32} {"mode",-7} {"wall us",9} {"cpu us",9}  {"wall dotnet/pool",16} {"cpu dotnet/pool",15}");
foreach (var (name, run) in cases)
{
    var warm = Stopwatch.StartNew();
    while (warm.Elapsed.TotalMilliseconds < 2 * blockMs) run();
    var wall = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
    var cpu = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
    for (int b = 0; b < 2 * blocks; b++)
    {
        bool own = b % 4 is 0 or 3; // ABBA order
        Parallelism.OwnPool = own;
        run();
        var process = Process.GetCurrentProcess();
        TimeSpan cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        long calls = 0;
        while (sw.Elapsed.TotalMilliseconds < blockMs || calls == 0)
        {
            run();
            calls++;
        }
        double elapsed = sw.Elapsed.TotalMicroseconds;
        process.Refresh();
        wall[own].Add(elapsed / calls);
        cpu[own].Add((process.TotalProcessorTime - cpu0).TotalMicroseconds / calls);
    }
    double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }
    double wp = Median(wall[true]), wd = Median(wall[false]), cp = Median(cpu[true]), cd = Median(cpu[false]);
    Console.WriteLine($"{name,-32} {"dotnet",-7} {wd,9:F1} {cd,9:F1}");
    Console.WriteLine($"{"",-32} {"pool",-7} {wp,9:F1} {cp,9:F1}  {wd / wp,16:F2} {cd / cp,15:F2}");
}
Parallelism.OwnPool = true;
