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
        double minCosine = PooledCosine.Min(y, expected, Batch, y.Length / Batch / Seq);
        return (Math.Round(max, 7), Math.Round(minCosine, 6));
    }
}
