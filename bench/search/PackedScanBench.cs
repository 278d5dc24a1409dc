using System.Diagnostics;
using System.Text.Json;
using Skald.Retrieval.Quantization;

/// <summary>
/// <c>--packed-scan M</c>: the scan of every code of --rows rows of M sub-vector codes, the same random code values below
/// 64 held two ways: a byte a code (codebooks of 256 centroids, <see cref="PqSearch"/>'s byte scan) and packed at 6 bits
/// (codebooks of their first 64 centroids, the packed scan, ¾ of the bytes). The 64 centroids are the same, so both
/// scans return the same hits (checked). One JSON line: the median milliseconds of one query's top 10 (all cores).
/// </summary>
internal static class PackedScanBench
{
    public static void Run(int rows, int m, int reps)
    {
        const int Dim = 384, Bits = 6;
        int sub = Dim / m;
        var random = new Random(3);
        var books = new float[Dim * 256];
        for (int i = 0; i < books.Length; i++) books[i] = (float)random.NextDouble() - 0.5f;
        var narrow = new float[Dim * 64]; // each subspace's first 64 centroids
        for (int s = 0; s < m; s++) books.AsSpan(s * 256 * sub, 64 * sub).CopyTo(narrow.AsSpan(s * 64 * sub));
        var bytes = new byte[(long)rows * m];
        random.NextBytes(bytes);
        for (long i = 0; i < bytes.LongLength; i++) bytes[i] &= 63;
        var packed = new byte[(long)rows * PackedCodes.RowBytes(m, Bits)];
        ProductCodes.Pack(bytes, rows, m, Bits, packed);
        var wide = new ProductCodes(new ProductQuantizer(Dim, m, 256, books), rows, bytes, residual: false);
        var six = new ProductCodes(new ProductQuantizer(Dim, m, 64, narrow), rows, packed, residual: false);
        float[] query = [.. Enumerable.Range(0, Dim).Select(_ => (float)random.NextDouble() - 0.5f)];
        double Time(ProductCodes codes, out int[] hits)
        {
            hits = [.. PqSearch.TopK([query], codes, 10, 0)[0].Select(h => h.Index)];
            var times = new double[reps];
            for (int r = 0; r < reps; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                PqSearch.TopK([query], codes, 10, 0);
                times[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Array.Sort(times);
            return times[reps / 2];
        }
        double byteMs = Time(wide, out var byteHits), packedMs = Time(six, out var packedHits);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            engine = "skald", what = "packed_scan", rows, subspaces = m, bits = Bits,
            byte_codes_mb = bytes.LongLength / 1e6, packed_codes_mb = packed.LongLength / 1e6,
            byte_scan_ms = byteMs, packed_scan_ms = packedMs, same_hits = byteHits.SequenceEqual(packedHits),
        }));
    }
}
