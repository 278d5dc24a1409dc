using System.Diagnostics;
using System.Text.Json;
using Skald.Tokenizers;

// Batch-encoding throughput of Skald tokenizers: MB/s of UTF-8 text through EncodeBatch.
// usage: Skald.TokenizerBench TEXTS_FILE SECONDS TOKENIZER_JSON...   (one JSON line per tokenizer)
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Skald.TokenizerBench TEXTS_FILE SECONDS TOKENIZER_JSON...");
    return 2;
}
var texts = File.ReadAllLines(args[0]).Where(l => l.Length > 0).ToArray();
double seconds = double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
long bytes = texts.Sum(t => (long)System.Text.Encoding.UTF8.GetByteCount(t));
var proc = Process.GetCurrentProcess();
foreach (var path in args.Skip(2))
{
    var tk = Tokenizer.FromFile(path);
    long tokens = tk.EncodeBatch(texts).Sum(e => (long)e.Length); // warm-up (caches, JIT)
    // One thread: Encode text by text on the calling thread into a new array, as EncodeBatch keeps its results (a
    // batch's encodings outlive the gen-0 collections, which costs the collector alike); all threads: EncodeBatch.
    // The two alternate round by round, so a change in the machine's load hits both alike.
    Encoding[] OneThread()
    {
        var kept = new Encoding[texts.Length];
        for (int i = 0; i < texts.Length; i++) kept[i] = tk.Encode(texts[i]);
        return kept;
    }
    OneThread();
    var one = new Totals();
    var all = new Totals();
    var total = Stopwatch.StartNew();
    while (total.Elapsed.TotalSeconds < 2 * seconds || all.Rounds < 2)
    {
        Round(one, () => GC.KeepAlive(OneThread()));
        Round(all, () => GC.KeepAlive(tk.EncodeBatch(texts)));
    }
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        engine = "skald", tokenizer = Path.GetFileName(Path.GetDirectoryName(path)), threads = Environment.ProcessorCount,
        lines = texts.Length, mb = bytes / 1e6, tokens, rounds = all.Rounds,
        mb_per_s = Math.Round(all.MbPerSecond(all.Wall), 2), mb_per_s_1t = Math.Round(one.MbPerSecond(one.Wall), 2),
        cpu_mb_per_s = Math.Round(all.MbPerSecond(all.Cpu), 2), cpu_mb_per_s_1t = Math.Round(one.MbPerSecond(one.Cpu), 2),
        gc_pause_pct = Math.Round(100 * all.GcPause / all.Wall, 1), gc_pause_pct_1t = Math.Round(100 * one.GcPause / one.Wall, 1),
        gen0_per_round = Math.Round(all.Gen0 / (double)all.Rounds, 1), gen0_per_round_1t = Math.Round(one.Gen0 / (double)one.Rounds, 1),
    }));
}
return 0;

// One timed round: wall time, the process's CPU time (what the cores did, which survives a shared machine), the
// time the threads stood paused for the collector, and gen-0 collections.
void Round(Totals t, Action round)
{
    proc.Refresh();
    var cpu0 = proc.TotalProcessorTime;
    var pause0 = GC.GetTotalPauseDuration();
    int gen0 = GC.CollectionCount(0);
    var sw = Stopwatch.StartNew();
    round();
    t.Wall += sw.Elapsed.TotalSeconds;
    proc.Refresh();
    t.Cpu += (proc.TotalProcessorTime - cpu0).TotalSeconds;
    t.GcPause += (GC.GetTotalPauseDuration() - pause0).TotalSeconds;
    t.Gen0 += GC.CollectionCount(0) - gen0;
    t.Rounds++;
    t.Bytes += bytes;
}

/// <summary>Sums over the rounds of one mode.</summary>
sealed class Totals
{
    public double Wall, Cpu, GcPause;
    public int Gen0, Rounds;
    public long Bytes;

    /// <summary>MB of text per second of <paramref name="time"/>.</summary>
    public double MbPerSecond(double time) => Bytes / time / 1e6;
}
