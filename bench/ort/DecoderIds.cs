using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

/// <summary>
/// bench/decoder's inputs for the exported decoder: splitmix64 ids (seed 1, each mod the vocabulary, the generator of
/// bench/decoder/Program.cs and bench_torch_decoder.py), the check of ONNX Runtime's states against PyTorch's
/// (model.onnx.reference.bin of fixtures/models/export_bench_decoder_onnx.py), and /proc/self/status figures.
/// </summary>
internal static class DecoderIds
{
    private const int ReferenceBatch = 8, ReferenceSeq = 128;

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

    /// <summary>[batch, seq] ids: splitmix64 from seed 1, row-major, each output mod <paramref name="vocab"/>.</summary>
    public static DenseTensor<long> Tensor(int batch, int seq, int vocab)
    {
        var ids = new DenseTensor<long>([batch, seq]);
        ulong state = 1;
        for (int i = 0; i < batch * seq; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            ids[i / seq, i % seq] = (long)((z ^ (z >> 31)) % (ulong)vocab);
        }
        return ids;
    }

    /// <summary>
    /// The largest |ORT − PyTorch| over last_hidden_state on the 8 × 128 reference ids and the smallest cosine, over the
    /// batch, between the two mean-pooled states; null when the folder has no model.onnx.reference.bin.
    /// </summary>
    public static (double MaxAbsDiff, double MinCosine)? VsPyTorch(InferenceSession session, string dir, int vocab)
    {
        string path = Path.Combine(dir, "model.onnx.reference.bin");
        if (!File.Exists(path)) return null;
        byte[] bytes = File.ReadAllBytes(path);
        var mask = new DenseTensor<long>([ReferenceBatch, ReferenceSeq]);
        mask.Fill(1);
        var feeds = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", Tensor(ReferenceBatch, ReferenceSeq, vocab)),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
        };
        using var outputs = session.Run(feeds);
        var y = outputs.First().AsTensor<float>().ToArray();
        if (bytes.Length != y.Length * sizeof(float))
            throw new InvalidDataException($"{path}: {bytes.Length} bytes, expected {y.Length * sizeof(float)} ([8, 128, hidden] float32)");
        var expected = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes);
        double max = 0;
        for (int i = 0; i < y.Length; i++) max = Math.Max(max, Math.Abs(y[i] - expected[i]));
        int rowLength = y.Length / ReferenceBatch, hidden = rowLength / ReferenceSeq;
        double minCosine = 1;
        for (int b = 0; b < ReferenceBatch; b++)
        {
            var pa = new double[hidden];
            var pb = new double[hidden];
            for (int i = 0; i < rowLength; i++)
            {
                pa[i % hidden] += y[b * rowLength + i];
                pb[i % hidden] += expected[b * rowLength + i];
            }
            double dot = 0, na = 0, nb = 0;
            for (int h = 0; h < hidden; h++)
            {
                dot += pa[h] * pb[h];
                na += pa[h] * pa[h];
                nb += pb[h] * pb[h];
            }
            minCosine = Math.Min(minCosine, dot / Math.Sqrt(na * nb));
        }
        return (Math.Round(max, 7), Math.Round(minCosine, 6));
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
