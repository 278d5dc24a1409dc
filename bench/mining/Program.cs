// Dense hard-negative mining's candidates on a corpus where most passages share one vector, and queries near it, so every
// query has tied scores: DenseCandidateScorer.Score (a tied query's row scored in place, then TorchTopK) interleaved with the previous
// tie path, kept below as the baseline (each tied query searched against the whole corpus with ExactSearch.TopK at
// k = n, every passage sorted, then TorchTopK over that row), and both checked to give the same hits. One JSON line:
// median wall seconds of each and the process's CPU seconds per round.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Skald.Data.Negatives;
using Skald.Models.Modules;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;
using Skald.Bench.Mining;

int passages = 100_000, queries = 32, dim = 384, k = 10, rounds = 3;
double shared = 0.9; // the share of passages with the one shared vector
for (int i = 0; i + 1 < args.Length; i += 2)
{
    string v = args[i + 1];
    switch (args[i])
    {
        case "--passages": passages = int.Parse(v, CultureInfo.InvariantCulture); break;
        case "--queries": queries = int.Parse(v, CultureInfo.InvariantCulture); break;
        case "--dim": dim = int.Parse(v, CultureInfo.InvariantCulture); break;
        case "--k": k = int.Parse(v, CultureInfo.InvariantCulture); break;
        case "--rounds": rounds = int.Parse(v, CultureInfo.InvariantCulture); break;
        case "--shared": shared = double.Parse(v, CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}

ulong s = 0x9E3779B97F4A7C15UL;
float[] Unit()
{
    var r = new float[dim];
    for (int d = 0; d < dim; d++)
    {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        r[d] = (int)(s >> 40) * (1f / (1 << 24)) - 0.5f + (d % 16 == 0 ? 0.25f : 0f);
    }
    System.Numerics.Tensors.TensorPrimitives.Divide(r, System.Numerics.Tensors.TensorPrimitives.Norm(r), r);
    return r;
}
var one = Unit();
var table = new Dictionary<string, float[]>(StringComparer.Ordinal);
var corpus = new string[passages];
for (int j = 0; j < passages; j++)
{
    corpus[j] = $"p{j}";
    table[corpus[j]] = j % 1000 < shared * 1000 ? one : Unit();
}
var query = new string[queries];
for (int i = 0; i < queries; i++) // near the shared vector, so it is each query's best: its top k + 1 are tied
{
    var q = Unit();
    for (int d = 0; d < dim; d++) q[d] = one[d] + 0.1f * q[d];
    System.Numerics.Tensors.TensorPrimitives.Divide(q, System.Numerics.Tensors.TensorPrimitives.Norm(q), q);
    table[query[i] = $"q{i}"] = q;
}
var model = new TableModel(table);
int[][] positives = [.. query.Select(_ => new[] { 0 })];

var scorer = new DenseCandidateScorer(model);
var (now, _) = scorer.Score(query, corpus, positives, k); // warm-up, and the hits to compare
var before = PreviousTies.TopK([.. query.Select(q => table[q])], [.. corpus.Select(c => table[c])], k);
for (int i = 0; i < queries; i++)
    if (!now[i].Select(h => h.Index).SequenceEqual(before[i].Select(h => h.Index)))
        throw new InvalidOperationException($"query {i}: the hits differ from the previous tie path's");

var (wall, cpu, prevWall, prevCpu) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
var process = Process.GetCurrentProcess();
for (int r = 0; r < rounds; r++)
{
    process.Refresh();
    var c0 = process.TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    scorer.Score(query, corpus, positives, k);
    wall.Add(sw.Elapsed.TotalSeconds);
    process.Refresh();
    cpu.Add((process.TotalProcessorTime - c0).TotalSeconds);
    c0 = process.TotalProcessorTime;
    sw.Restart();
    PreviousTies.TopK([.. query.Select(q => table[q])], [.. corpus.Select(c => table[c])], k);
    prevWall.Add(sw.Elapsed.TotalSeconds);
    process.Refresh();
    prevCpu.Add((process.TotalProcessorTime - c0).TotalSeconds);
}
static double Median(List<double> x) => x.Order().ElementAt(x.Count / 2);
Console.WriteLine(JsonSerializer.Serialize(new
{
    passages, queries, dim, k, shared, rounds, tied_queries = now.Count(h => h.Length > 1 && h[0].Score == h[1].Score),
    seconds = Median(wall), cpu_seconds = Median(cpu), previous_seconds = Median(prevWall), previous_cpu_seconds = Median(prevCpu),
}));
