using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// The decoder side of the TorchSharp peer (<c>--decoder</c>): the Qwen2.5-0.5B-shaped bench decoder
/// (<see cref="TorchQwen2"/>) encoding bench/decoder's batches (splitmix64 ids, seed 1, each mod the vocabulary;
/// batch × seq, causal, mean pooling), one warm-up batch then ITERS timed ones, one JSON line. Where the folder has
/// model.onnx.reference.bin (PyTorch's last hidden state on the 8 × 128 ids, fixtures/models/export_bench_decoder_onnx.py)
/// the line also carries the largest |TorchSharp − PyTorch| and the smallest cosine of the mean-pooled rows, so the
/// run shows the peer computes the same function as Skald.
/// </summary>
static class DecoderEncode
{
    public static void Run(string dir, string engine, int threads, int batch, int seq, int iters)
    {
        var model = TorchQwen2.Load(dir);
        var (diff, cosine) = VsPyTorch(model, dir) ?? (double.NaN, double.NaN);
        using var input = torch.tensor(Ids(batch * seq, model.Vocab, out long checksum), [batch, seq]);
        float[] pooled = [];
        void Encode()
        {
            using var mode = torch.inference_mode();
            using var scope = torch.NewDisposeScope();
            pooled = model.Forward(input).mean([1L]).contiguous().data<float>().ToArray(); // full rows: mean over T
        }
        Encode(); // warm-up
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iters; i++) Encode();
        double wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            engine, model = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)), attention = "causal", batch, seq, threads,
            iters, s_per_batch = Math.Round(wall / iters, 3),
            tokens_per_s = Math.Round((double)iters * batch * seq / wall, 1),
            tokens_per_cpu_s = Math.Round((double)iters * batch * seq / cpu, 1),
            ids_checksum = checksum, pooled_sum = Math.Round(pooled.Sum(v => (double)v), 4),
            max_abs_diff_vs_pytorch = double.IsNaN(diff) ? (double?)null : diff,
            min_cosine_vs_pytorch = double.IsNaN(cosine) ? (double?)null : cosine,
            peak_rss_mb = Math.Round(process.PeakWorkingSet64 / 1048576.0, 1),
        }));
    }

    // splitmix64 from seed 1, each output mod vocab: bench/decoder's and bench/ort's decoder ids.
    static long[] Ids(int count, int vocab, out long checksum)
    {
        var ids = new long[count];
        ulong state = 1;
        checksum = 0;
        for (int i = 0; i < count; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            ids[i] = (long)((z ^ (z >> 31)) % (ulong)vocab);
            checksum += ids[i];
        }
        return ids;
    }

    static (double MaxAbsDiff, double MinCosine)? VsPyTorch(TorchQwen2 model, string dir)
    {
        const int batch = 8, seq = 128;
        string path = Path.Combine(dir, "model.onnx.reference.bin");
        if (!File.Exists(path)) return null;
        var expected = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();
        using var mode = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        using var input = torch.tensor(Ids(batch * seq, model.Vocab, out _), [batch, seq]);
        var y = model.Forward(input).contiguous().data<float>().ToArray();
        if (y.Length != expected.Length) throw new InvalidDataException($"{path}: {expected.Length} floats, expected {y.Length}");
        double max = 0, minCosine = 1;
        for (int i = 0; i < y.Length; i++) max = Math.Max(max, Math.Abs(y[i] - expected[i]));
        int row = y.Length / batch, hidden = model.Hidden;
        for (int b = 0; b < batch; b++)
        {
            var pa = new double[hidden];
            var pb = new double[hidden];
            for (int i = 0; i < row; i++)
            {
                pa[i % hidden] += y[b * row + i];
                pb[i % hidden] += expected[b * row + i];
            }
            double dot = 0, na = 0, nb = 0;
            for (int j = 0; j < hidden; j++)
            {
                dot += pa[j] * pb[j];
                na += pa[j] * pa[j];
                nb += pb[j] * pb[j];
            }
            minCosine = Math.Min(minCosine, dot / Math.Sqrt(na * nb));
        }
        return (Math.Round(max, 7), Math.Round(minCosine, 6));
    }
}
