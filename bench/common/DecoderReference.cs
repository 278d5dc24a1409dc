namespace Skald.Bench.Common;

/// <summary>
/// What the decoder peers (bench/ort, bench/torchsharp) share with bench/decoder: its splitmix64 ids (seed 1, each
/// output mod the vocabulary: <see cref="SplitMix"/>) and the check of a
/// peer's last hidden states against PyTorch's (<c>model.onnx.reference.bin</c> of
/// fixtures/models/export_bench_decoder_onnx.py: float32 [8, 128, hidden] on those ids). No Skald dependency.
/// </summary>
internal static class DecoderReference
{
    /// <summary>The reference file's batch and sequence.</summary>
    public const int Batch = 8, Seq = 128;

    /// <summary>The file name of PyTorch's reference states beside the model.</summary>
    public const string FileName = "model.onnx.reference.bin";

    /// <summary>bench/decoder's ids: <see cref="SplitMix.Ids"/> from seed 1.</summary>
    public static long[] Ids(int count, int vocab, out long checksum) => SplitMix.Ids(count, vocab, out checksum);

    /// <summary>
    /// The largest |y − expected| and the smallest cosine, over the <see cref="Batch"/> rows, between the two
    /// mean-pooled (summed: the cosine ignores the scale) states; y and expected are [Batch, Seq, hidden] row-major.
    /// </summary>
    public static (double MaxAbsDiff, double MinCosine) Compare(ReadOnlySpan<float> y, ReadOnlySpan<float> expected, string path)
    {
        if (y.Length != expected.Length || y.Length % (Batch * Seq) != 0)
            throw new InvalidDataException($"{path}: {expected.Length} floats, expected {y.Length} ([{Batch}, {Seq}, hidden] float32)");
        double max = 0;
        for (int i = 0; i < y.Length; i++) max = Math.Max(max, Math.Abs(y[i] - expected[i]));
        int row = y.Length / Batch, hidden = row / Seq;
        double minCosine = 1;
        var pa = new double[hidden];
        var pb = new double[hidden];
        for (int b = 0; b < Batch; b++)
        {
            Array.Clear(pa);
            Array.Clear(pb);
            for (int i = 0; i < row; i++)
            {
                pa[i % hidden] += y[b * row + i];
                pb[i % hidden] += expected[b * row + i];
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
}
