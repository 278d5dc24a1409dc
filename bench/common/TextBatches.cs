using System.Globalization;

namespace Skald.Bench.Common;

/// <summary>
/// The encode benchmarks' real-text workload (compiled into bench/Skald.Bench and bench/ort, so both engines get the
/// same padded batches): an ids file of one tokenized text per line (space-separated ids, special tokens added,
/// truncated to the run's maximum length; bench/Skald.Bench --write-ids writes it with the model's tokenizer), cut
/// into batches in one of two orders. "order": batches in the file's order, as texts arrive at a server or an
/// unsorted loop; "sorted": longest first, as sentence-transformers' encode and SentenceEncoder.Encode batch them. Each
/// batch is padded on the right to its own longest text (the mask marks the real tokens), as HF's tokenizer with
/// padding=True does.
/// </summary>
internal static class TextBatches
{
    /// <summary>One padded batch: ids and mask [Batch, Seq] row-major (padding id 0, mask 0).</summary>
    public sealed record Batch(int[] Ids, int[] Mask, int Size, int Seq)
    {
        /// <summary>Real tokens in the batch.</summary>
        public int RealTokens => Mask.Count(m => m != 0);
    }

    /// <summary>
    /// <see cref="Read"/>, or one line on stderr naming the file (and line) and exit code 1 for a missing or malformed
    /// file.
    /// </summary>
    public static List<int[]> ReadOrExit(string path)
    {
        try
        {
            return Read(path);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"bench: {e.Message}");
            Environment.Exit(1);
            return [];
        }
    }

    /// <summary>The texts of an ids file: one int array per non-empty line.</summary>
    public static List<int[]> Read(string path)
    {
        var texts = new List<int[]>();
        int line = 0;
        foreach (var l in File.ReadLines(path))
        {
            line++;
            if (l.Length == 0) continue;
            try
            {
                texts.Add([.. l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))]);
            }
            catch (FormatException)
            {
                throw new FormatException($"{path}:{line}: not a line of space-separated token ids");
            }
        }
        if (texts.Count == 0) throw new FormatException($"{path}: no texts");
        return texts;
    }

    /// <summary>
    /// Runs <paramref name="pass"/> (every batch once) as warm-up, lets <paramref name="settle"/> run (a GC after
    /// weights were dropped), then whole passes for at least <paramref name="seconds"/> and at least once: the passes,
    /// their wall seconds and the process's CPU seconds over them.
    /// </summary>
    public static (int Passes, double Wall, double Cpu) Time(Action pass, double seconds, Action? settle = null)
    {
        pass();
        settle?.Invoke();
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        int passes = 0;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || passes < 1)
        {
            pass();
            passes++;
        }
        process.Refresh();
        return (passes, sw.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu0).TotalSeconds);
    }

    /// <summary>Batches of <paramref name="size"/> texts in <paramref name="order"/> ("order" or "sorted").</summary>
    public static List<Batch> Make(IReadOnlyList<int[]> texts, int size, string order)
    {
        var index = Enumerable.Range(0, texts.Count).ToArray();
        if (order == "sorted") index = [.. index.OrderByDescending(i => texts[i].Length)];
        else if (order != "order") throw new ArgumentException($"unknown order {order} (order or sorted)", nameof(order));
        var batches = new List<Batch>();
        for (int start = 0; start < index.Length; start += size)
        {
            int b = Math.Min(size, index.Length - start);
            int seq = 0;
            for (int i = 0; i < b; i++) seq = Math.Max(seq, texts[index[start + i]].Length);
            var ids = new int[b * seq];
            var mask = new int[b * seq];
            for (int i = 0; i < b; i++)
            {
                var t = texts[index[start + i]];
                t.CopyTo(ids, i * seq);
                mask.AsSpan(i * seq, t.Length).Fill(1);
            }
            batches.Add(new Batch(ids, mask, b, seq));
        }
        return batches;
    }
}
