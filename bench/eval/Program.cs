using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Skald.Evaluation.Data;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Data;
using Skald.Retrieval.Search;
using Skald.Tensors.Gemm;

// Exact top-k search throughput over random unit vectors (Skald vs numpy/BLAS in the same run), then BM25 indexing
// and query speed on the shared retrieval corpora. Usage: see README.md.
var opts = Args.Parse(args);
var inv = CultureInfo.InvariantCulture;
Console.WriteLine($"GEMM backend: {Blas.Backend.GetType().Name}; {Environment.ProcessorCount} cores");
Console.WriteLine($"| corpus | dim | queries | k | Skald queries/s | numpy queries/s |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
foreach (int n in opts.Sizes)
{
    var rng = new Random(1);
    var corpus = new float[(long)n * opts.Dim];
    FillUnit(corpus, n, opts.Dim, rng);
    var qflat = new float[opts.Queries * opts.Dim];
    FillUnit(qflat, opts.Queries, opts.Dim, rng);
    var queries = Enumerable.Range(0, opts.Queries).Select(i => qflat.AsSpan(i * opts.Dim, opts.Dim).ToArray()).ToArray();
    ExactSearch.TopK(queries[..Math.Min(8, queries.Length)], corpus, Math.Min(n, 20000), opts.Dim, opts.K); // warm-up
    var sw = Stopwatch.StartNew();
    var hits = ExactSearch.TopK(queries, corpus, n, opts.Dim, opts.K);
    double skald = opts.Queries / sw.Elapsed.TotalSeconds;
    corpus = null!;
    GC.Collect();
    string numpy = opts.Numpy ? RunNumpy(n, opts) : "–";
    Console.WriteLine($"| {n:N0} | {opts.Dim} | {opts.Queries} | {opts.K} | {skald.ToString("F0", inv)} | {numpy} |");
    _ = hits;
}

if (opts.Data is { } data && Directory.Exists(Path.Combine(data, "retrieval")))
{
    Console.WriteLine();
    Console.WriteLine("| BM25 task | docs | queries | stemming | index docs/s | queries/s |");
    Console.WriteLine("|---|---:|---:|---|---:|---:|");
    foreach (var dir in Directory.GetDirectories(Path.Combine(data, "retrieval")).Order())
    {
        var task = RetrievalData.Load(dir);
        string lang = TaskDefinition.GuessLanguage(Path.GetFileName(dir));
        var model = new Bm25Model();
        var analyzer = model.AnalyzerFor(lang, out var stemming);
        var docs = task.Corpus.Select(d => d.FullText).ToArray();
        int reps = 5;
        var sw = Stopwatch.StartNew();
        for (int r = 0; r < reps; r++)
        {
            var analysed = new IReadOnlyList<string>[docs.Length];
            Parallel.For(0, docs.Length, i => analysed[i] = analyzer.Analyze(docs[i]));
            _ = new Bm25Index(analysed);
        }
        double indexRate = reps * docs.Length / sw.Elapsed.TotalSeconds;
        var queries = task.Queries.Select(q => q.Text).ToArray();
        model.Search(task.Corpus, queries[..10], 10, lang); // warm-up, builds the index
        sw.Restart();
        for (int r = 0; r < reps; r++) model.Search(task.Corpus, queries, 1000, lang);
        double qRate = reps * queries.Length / sw.Elapsed.TotalSeconds;
        Console.WriteLine($"| {Path.GetFileName(dir)} | {docs.Length} | {queries.Length} | {stemming} | {indexRate.ToString("F0", inv)} | {qRate.ToString("F0", inv)} |");
    }
}

static void FillUnit(float[] m, int rows, int dim, Random rng)
{
    Parallel.For(0, rows, new ParallelOptions { MaxDegreeOfParallelism = 1 }, r =>
    {
        var row = m.AsSpan((int)((long)r * dim), dim);
        double norm = 0;
        for (int j = 0; j < dim; j++) { row[j] = (float)(rng.NextDouble() * 2 - 1); norm += row[j] * row[j]; }
        float s = (float)(1 / Math.Sqrt(norm));
        for (int j = 0; j < dim; j++) row[j] *= s;
    });
}

static string RunNumpy(int n, Args o)
{
    string script = Path.Combine(AppContext.BaseDirectory, "topk_numpy.py");
    var psi = new ProcessStartInfo(o.Python, [script, "--n", n.ToString(CultureInfo.InvariantCulture), "--dim", o.Dim.ToString(CultureInfo.InvariantCulture),
        "--queries", o.Queries.ToString(CultureInfo.InvariantCulture), "--k", o.K.ToString(CultureInfo.InvariantCulture)])
    { RedirectStandardOutput = true, UseShellExecute = false };
    try
    {
        using var p = Process.Start(psi)!;
        string outText = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        using var doc = JsonDocument.Parse(outText.Trim().Split('\n')[^1]);
        return doc.RootElement.GetProperty("queries_per_second").GetDouble().ToString("F0", CultureInfo.InvariantCulture);
    }
    catch (Exception e) when (e is System.ComponentModel.Win32Exception or JsonException or IndexOutOfRangeException)
    {
        return "n/a (" + e.GetType().Name + ")";
    }
}

internal sealed record Args(int[] Sizes, int Dim, int Queries, int K, bool Numpy, string Python, string? Data)
{
    public static Args Parse(string[] a)
    {
        string Get(string name, string def) { int i = Array.IndexOf(a, name); return i >= 0 && i + 1 < a.Length ? a[i + 1] : def; }
        return new Args(
            [.. Get("--sizes", "100000,1000000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))],
            int.Parse(Get("--dim", "384"), CultureInfo.InvariantCulture),
            int.Parse(Get("--queries", "1000"), CultureInfo.InvariantCulture),
            int.Parse(Get("--k", "10"), CultureInfo.InvariantCulture),
            !a.Contains("--no-numpy"),
            Get("--python", "/usr/bin/python3"),
            Get("--data", Path.Combine("..", "shared", "data")));
    }
}
