using System.Diagnostics;
using System.Text.Json;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

/// <summary>
/// `--mapped`: queries/s of one graph searched read whole (<see cref="HnswGraph.Read"/>, what adds use) and mapped
/// (<see cref="HnswGraph.Open"/>, what an index's searches use), rounds interleaved in one process, the mode first in a
/// round alternating. The graph is built once per corpus, M and ef construction and kept beside the corpus
/// (hnsw-m{M}-efc{EFC}.bin). Before the rounds every query's hits are compared between the modes. A pass is timed in
/// wall-clock and in the process's CPU time (one searching thread: queries per CPU second hold up on a loaded machine).
/// </summary>
internal static class MappedSpeed
{
    public static int Run(string data, FloatRow row, int rows, int m, int efc, float[][] queries, int k, int rounds, double seconds)
    {
        string path = Path.Combine(data, $"hnsw-m{m}-efc{efc}.bin");
        if (!File.Exists(path))
        {
            long t0 = Stopwatch.GetTimestamp();
            var built = HnswGraph.Build(rows, row, new HnswOptions { M = m, EfConstruction = efc });
            Console.Error.WriteLine($"built {rows} rows in {Stopwatch.GetElapsedTime(t0).TotalSeconds:F0} s");
            string tmp = path + ".tmp";
            using (var f = File.Create(tmp)) built.Write(f);
            File.Move(tmp, path, overwrite: true);
        }
        var read = HnswGraph.Read(path, rows);
        using var open = HnswGraph.Open(path, rows);
        int[] efs = [16, 64, 128];
        var graphs = new[] { ("read", read), ("mapped", open) };
        var qps = new Dictionary<(string, int), List<double>>();
        var cpu = new Dictionary<(string, int), List<double>>();
        foreach (int ef in efs) // warm-up (JIT tiering) and the hits compared
        {
            foreach (var (_, g) in graphs) Pass(g, ef, Math.Min(1.0, seconds));
            for (int q = 0; q < queries.Length; q++)
                if (!HnswSearch.TopK([queries[q]], read, row, k, ef)[0].SequenceEqual(HnswSearch.TopK([queries[q]], open, row, k, ef)[0]))
                    throw new InvalidOperationException($"query {q} at ef {ef}: the mapped graph's hits differ from the graph read whole");
        }
        for (int r = 0; r < rounds; r++)
        {
            foreach (int ef in efs)
            {
                foreach (var (mode, g) in r % 2 == 0 ? graphs : graphs.Reverse())
                {
                    var (v, c) = Pass(g, ef, seconds);
                    (qps.TryGetValue((mode, ef), out var l) ? l : qps[(mode, ef)] = []).Add(v);
                    (cpu.TryGetValue((mode, ef), out var lc) ? lc : cpu[(mode, ef)] = []).Add(c);
                    Console.WriteLine(JsonSerializer.Serialize(new { engine = "skald-" + mode, round = r, rows, m, ef_construction = efc, ef, k,
                        queries_per_s = v, queries_per_cpu_s = c, load = Load() }));
                }
            }
        }
        // The lookup alone: every node's layer-0 links summed, ns per node (what the walk pays per expanded node besides scoring).
        var sweep = new Dictionary<string, List<double>> { ["read"] = [], ["mapped"] = [] };
        for (int r = 0; r < rounds; r++)
            foreach (var (mode, g) in r % 2 == 0 ? graphs : graphs.Reverse())
                sweep[mode].Add(Sweep(g));
        static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            summary = "hnsw-mapped", rows, m, ef_construction = efc, k, rounds, seconds_per_pass = seconds, threads = 1,
            links_ns_per_node = new { read = Median(sweep["read"]), mapped = Median(sweep["mapped"]) },
            per_ef = efs.Select(ef => new
            {
                ef, read_qps = Median(qps[("read", ef)]), mapped_qps = Median(qps[("mapped", ef)]),
                mapped_over_read = Median(qps[("mapped", ef)]) / Median(qps[("read", ef)]),
                read_qps_cpu = Median(cpu[("read", ef)]), mapped_qps_cpu = Median(cpu[("mapped", ef)]),
                mapped_over_read_cpu = Median(cpu[("mapped", ef)]) / Median(cpu[("read", ef)]),
                per_round_cpu = cpu[("mapped", ef)].Zip(cpu[("read", ef)], (a, b) => Math.Round(a / b, 3)).ToArray(),
            }),
        }));
        return 0;

        double Sweep(HnswGraph g)
        {
            long sum = 0, t0 = Stopwatch.GetTimestamp();
            for (int pass = 0; pass < 10; pass++)
                for (int i = 0; i < rows; i++)
                    foreach (int j in g.Links(i, 0)) sum += j;
            double ns = Stopwatch.GetElapsedTime(t0).TotalNanoseconds / 10 / rows;
            return sum == 42 ? -ns : ns; // the sum used, so the loop is not dropped
        }

        // Queries one at a time on this thread, the whole set over and over for at least `s` seconds: queries per
        // second and per CPU second of the process.
        (double Wall, double Cpu) Pass(HnswGraph g, int ef, double s)
        {
            var process = Process.GetCurrentProcess();
            var c0 = process.TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            int n = 0;
            do
                foreach (var q in queries) { HnswSearch.TopK([q], g, row, k, ef); n++; }
            while (Stopwatch.GetElapsedTime(t0).TotalSeconds < s);
            double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            process.Refresh();
            return (n / wall, n / (process.TotalProcessorTime - c0).TotalSeconds);
        }
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
