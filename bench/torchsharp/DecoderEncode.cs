using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using Skald.Bench.Common;

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
        using var input = torch.tensor(DecoderReference.Ids(batch * seq, model.Vocab, out long checksum), [batch, seq]);
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

    static (double MaxAbsDiff, double MinCosine)? VsPyTorch(TorchQwen2 model, string dir)
    {
        string path = Path.Combine(dir, DecoderReference.FileName);
        if (!File.Exists(path)) return null;
        using var mode = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        using var input = torch.tensor(DecoderReference.Ids(DecoderReference.Batch * DecoderReference.Seq, model.Vocab, out _),
            [DecoderReference.Batch, DecoderReference.Seq]);
        var y = model.Forward(input).contiguous().data<float>().ToArray();
        return DecoderReference.Compare(y, MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)), path);
    }
}
