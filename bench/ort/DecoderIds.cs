using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Skald.Bench.Common;

/// <summary>
/// bench/decoder's inputs for the exported decoder: splitmix64 ids (seed 1, each mod the vocabulary, the generator of
/// bench/decoder/Program.cs and bench_torch_decoder.py), the check of ONNX Runtime's states against PyTorch's
/// (model.onnx.reference.bin of fixtures/models/export_bench_decoder_onnx.py), and /proc/self/status figures.
/// </summary>
internal static class DecoderIds
{
    /// <summary>vocab_size of DIR/config.json; false with one line naming the file when it is missing or unreadable.</summary>
    public static bool TryVocab(string dir, out int vocab, out string? error)
    {
        string path = Path.Combine(dir, "config.json");
        vocab = 0;
        error = null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.TryGetProperty("vocab_size", out var v) && v.TryGetInt32(out vocab) && vocab > 0) return true;
            error = $"{path}: no positive integer vocab_size";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            error = $"{path}: {e.Message}";
        }
        return false;
    }

    /// <summary>[batch, seq] ids: bench/decoder's (<see cref="DecoderReference.Ids"/>), row-major.</summary>
    public static DenseTensor<long> Tensor(int batch, int seq, int vocab) =>
        new(DecoderReference.Ids(batch * seq, vocab, out _), [batch, seq]);

    /// <summary>
    /// The largest |ORT − PyTorch| over last_hidden_state on the 8 × 128 reference ids and the smallest cosine, over the
    /// batch, between the two mean-pooled states (<see cref="DecoderReference.Compare"/>); null when the folder has no
    /// model.onnx.reference.bin.
    /// </summary>
    public static (double MaxAbsDiff, double MinCosine)? VsPyTorch(InferenceSession session, string dir, int vocab)
    {
        string path = Path.Combine(dir, DecoderReference.FileName);
        if (!File.Exists(path)) return null;
        var mask = new DenseTensor<long>([DecoderReference.Batch, DecoderReference.Seq]);
        mask.Fill(1);
        var feeds = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", Tensor(DecoderReference.Batch, DecoderReference.Seq, vocab)),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
        };
        using var outputs = session.Run(feeds);
        var y = outputs.First().AsTensor<float>().ToArray();
        return DecoderReference.Compare(y, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)), path);
    }

    /// <summary>A kB line of /proc/self/status (VmHWM: peak RSS, VmRSS: current) in MB, or null off Linux.</summary>
    public static double? StatusMb(string key)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return null;
        foreach (var line in File.ReadLines(status))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
                return Math.Round(long.Parse(line.AsSpan(key.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) / 1024.0, 1);
        }
        return null;
    }
}
