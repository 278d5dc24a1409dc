using System.Diagnostics;
using System.Text.Json;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Quantization;

/// <summary>
/// <c>--graph-pq M</c>: an HNSW graph (M 16, ef construction 100, every core) over --rows clustered unit rows of --dim
/// values, walked over PQ codes of M sub-vectors of --pq-bits bits (4: the nibbles, 5–7 packed, 8 a byte), one query at
/// a time on one thread, its codes alone (no rescoring). Each neighbour list is scored two ways in the same run, the
/// repetitions interleaved: row by row from the float table (the scalar path the walk took before) and gathered eight
/// rows side by side (<see cref="NeighbourScores"/>); the hits must be the same (checked). One JSON line per ef: the
/// median milliseconds per query of each, their ratio, and recall@10 of the codes against the exact float top 10.
/// </summary>
internal static class GraphPqBench
{
    public static void Run(int rows, int dim, int m, int bits, int reps)
    {
        const int Queries = 200, Centres = 200, K = 10;
        var random = new Random(11);
        var centres = Enumerable.Range(0, Centres).Select(_ => Unit([.. Enumerable.Range(0, dim).Select(_ => Gauss(random))])).ToArray();
        float[] Near(float[] c) => Unit([.. c.Select(v => v + 0.35f * Gauss(random) / MathF.Sqrt(dim) * 4)]);
        var corpus = Enumerable.Range(0, rows).Select(r => Near(centres[random.Next(Centres)])).ToArray();
        var queries = Enumerable.Range(0, Queries).Select(_ => Near(centres[random.Next(Centres)])).ToArray();
        long t0 = Stopwatch.GetTimestamp();
        var graph = HnswGraph.Build(rows, r => corpus[r], new HnswOptions { M = 16, EfConstruction = 100 });
        double linkS = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        t0 = Stopwatch.GetTimestamp();
        var pq = ProductQuantizer.Train(corpus, new ProductQuantizerOptions { Subspaces = m, Bits = bits });
        var codes = ProductCodes.Encode(pq, corpus);
        double codeS = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var exact = queries.Select(q => Enumerable.Range(0, rows).OrderByDescending(r => Dot(q, corpus[r])).Take(K).ToHashSet()).ToArray();
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        foreach (int ef in new[] { 32, 64, 128 })
        {
            // One query per call (HnswSearch runs a lone query on the calling thread); all queries once per repetition.
            int[][] Pass(bool gathered) => [.. queries.Select(q => HnswSearch.TopK([q], graph, codes, K, ef, 0, null, null, null, gathered)[0].Select(h => h.Index).ToArray())];
            var rowHits = Pass(false);
            var gatheredHits = Pass(true);
            bool same = rowHits.Zip(gatheredHits).All(p => p.First.SequenceEqual(p.Second));
            double recall = gatheredHits.Select((h, i) => h.Count(exact[i].Contains) / (double)K).Average();
            // CPU milliseconds of this process per query (the host is shared, so wall time mostly measures the others),
            // the two ways alternating.
            var rowTimes = new double[reps];
            var gatheredTimes = new double[reps];
            for (int r = 0; r < reps; r++)
            {
                rowTimes[r] = CpuMs(() => Pass(false)) / Queries;
                gatheredTimes[r] = CpuMs(() => Pass(true)) / Queries;
            }
            double rowMs = Median(rowTimes), gatheredMs = Median(gatheredTimes);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                engine = "skald", what = "graph_pq", rows, dim, subspaces = m, bits, centroids = pq.Centroids, ef, link_s = linkS, codes_s = codeS,
                row_by_row_cpu_ms = rowMs, gathered_cpu_ms = gatheredMs, speedup = rowMs / gatheredMs, same_hits = same, recall_at_10 = recall, load,
            }));
        }
        // The scoring alone: lists of 32 random rows (a layer-0 node's 2M at M 16), 20,000 of them, both ways.
        var lists = Enumerable.Range(0, 20_000 * 32).Select(_ => random.Next(rows)).ToArray();
        var table = new float[pq.Subspaces * pq.Centroids];
        pq.Table(queries[0], table);
        var scratch = new byte[NeighbourScores.ScratchBytes(pq.Subspaces)];
        var scores = new float[32];
        void Kernel(bool gathered)
        {
            for (int at = 0; at < lists.Length; at += 32)
                if (gathered) NeighbourScores.Score(codes, lists.AsSpan(at, 32), table, scratch, scores);
                else NeighbourScores.ScoreScalar(codes, lists.AsSpan(at, 32), table, scores);
        }
        var rowNs = new double[reps];
        var gatheredNs = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            rowNs[r] = CpuMs(() => Kernel(false)) * 1e6 / lists.Length;
            gatheredNs[r] = CpuMs(() => Kernel(true)) * 1e6 / lists.Length;
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            engine = "skald", what = "graph_pq_scoring", rows, subspaces = m, bits, centroids = pq.Centroids, list = 32,
            row_by_row_ns_per_row = Median(rowNs), gathered_ns_per_row = Median(gatheredNs), speedup = Median(rowNs) / Median(gatheredNs), load,
        }));
    }

    private static double CpuMs(Action run)
    {
        const int Times = 5; // the process clock ticks in milliseconds or more: long enough runs
        run(); // warm
        var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        for (int i = 0; i < Times; i++) run();
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalMilliseconds / Times;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static float Gauss(Random random) => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));

    private static float Dot(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    private static float[] Unit(float[] v)
    {
        float n = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        for (int i = 0; i < v.Length; i++) v[i] /= n;
        return v;
    }
}
