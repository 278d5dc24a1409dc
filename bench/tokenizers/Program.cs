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
foreach (var path in args.Skip(2))
{
    var tk = Tokenizer.FromFile(path);
    long tokens = tk.EncodeBatch(texts).Sum(e => (long)e.Length); // warm-up (caches, JIT)
    // One thread: Encode text by text on the calling thread, keeping every result as EncodeBatch does (a batch's
    // encodings outlive the gen-0 collections, which costs the collector alike); all threads: EncodeBatch.
    var kept = new Encoding[texts.Length];
    double one = Measure(() =>
    {
        for (int i = 0; i < texts.Length; i++) kept[i] = tk.Encode(texts[i]);
    }, out _, out double cpuOne);
    double mbps = Measure(() => tk.EncodeBatch(texts), out int rounds, out double cpuAll);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        engine = "skald", tokenizer = Path.GetFileName(Path.GetDirectoryName(path)), threads = Environment.ProcessorCount,
        lines = texts.Length, mb = bytes / 1e6, tokens, rounds, mb_per_s = Math.Round(mbps, 2), mb_per_s_1t = Math.Round(one, 2),
        cpu_mb_per_s = Math.Round(cpuAll, 2), cpu_mb_per_s_1t = Math.Round(cpuOne, 2),
    }));
}
return 0;

// MB/s of wall time; cpu: MB per second of the process's CPU time (what a busy core does, on a shared machine).
double Measure(Action round, out int rounds, out double cpu)
{
    round();
    rounds = 0;
    var proc = Process.GetCurrentProcess();
    var cpu0 = proc.TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed.TotalSeconds < seconds || rounds < 2)
    {
        round();
        rounds++;
    }
    double wall = sw.Elapsed.TotalSeconds;
    proc.Refresh();
    cpu = bytes * rounds / (proc.TotalProcessorTime - cpu0).TotalSeconds / 1e6;
    return bytes * rounds / wall / 1e6;
}
