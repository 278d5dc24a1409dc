using System.Buffers.Binary;
using Skald.Retrieval.Ivf;

namespace Skald.Retrieval.Plaid;

/// <summary>
/// ColBERTv2's residual compression of token vectors, the codec of a PLAID index: each vector becomes the id of its
/// nearest centroid (largest inner product, the lowest id on a tie) and its residual from that centroid, every value
/// of which is replaced by one of 2^<see cref="Bits"/> buckets and packed into <see cref="PackedBytes"/> bytes.
/// Written from ColBERT's <c>colbert/indexing/codecs/residual.py</c> and <c>collection_indexer.py</c>
/// (https://github.com/stanford-futuredata/ColBERT at 501c29d9e0b7f7b393e36c4177ec2b141a253114), checked against the
/// PyTorch re-statement <c>fixtures/plaid/make_residual_codec.py</c>:
/// <list type="bullet">
/// <item>bucket cutoffs are the quantiles i / 2^b (i = 1 .. 2^b − 1) of every held-out residual value, all dimensions
/// pooled (linear interpolation, as <c>torch.quantile</c>); bucket weights the quantiles i / 2^b + 1 / 2^(b+1)
/// (i = 0 .. 2^b − 1), so a bucket decodes to the middle of its share of the values;</item>
/// <item>a value's bucket is the number of cutoffs strictly below it (<c>torch.bucketize</c>); its b bits go lowest
/// first, dimension after dimension, into bytes from their highest bit down (<c>np.packbits</c>);</item>
/// <item>decompressing adds each value's bucket weight to the centroid and scales the sum to unit length.</item>
/// </list>
/// Immutable and thread-safe; <see cref="CompressResidual"/> and <see cref="Decompress"/> are pure span functions that
/// allocate nothing.
/// </summary>
public sealed class ResidualCodec
{
    private static ReadOnlySpan<byte> Magic => "SKALDPLC"u8;

    private readonly float[] centroids, cutoffs, weights;

    /// <summary>The centroids packed for <see cref="Compress"/>'s assignments (long vectors), made on first use and then shared.</summary>
    private CentroidScorer? scorer;

    /// <summary>
    /// A codec of <paramref name="centroids"/> [count × <paramref name="dimension"/>] with <paramref name="bits"/> bits a
    /// value (1, 2 or 4; <paramref name="dimension"/> a multiple of 8 · bits) and the buckets' <paramref name="cutoffs"/>
    /// (2^bits − 1, ascending) and <paramref name="weights"/> (2^bits).
    /// </summary>
    public ResidualCodec(float[] centroids, int dimension, int bits, float[] cutoffs, float[] weights)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        if (bits is not (1 or 2 or 4)) throw new ArgumentOutOfRangeException(nameof(bits), bits, "PLAID codes take 1, 2 or 4 bits a value");
        if (dimension < 1 || dimension % (8 * bits) != 0)
            throw new ArgumentException($"{dimension}-value vectors cannot be packed at {bits} bits a value (the width must be a multiple of {8 * bits})", nameof(dimension));
        if (centroids.Length == 0 || centroids.Length % dimension != 0) throw new ArgumentException($"{centroids.Length} centroid values are not vectors of {dimension}", nameof(centroids));
        if (cutoffs.Length != (1 << bits) - 1) throw new ArgumentException($"{bits} bits need {(1 << bits) - 1} cutoffs, got {cutoffs.Length}", nameof(cutoffs));
        if (weights.Length != 1 << bits) throw new ArgumentException($"{bits} bits need {1 << bits} weights, got {weights.Length}", nameof(weights));
        (this.centroids, this.cutoffs, this.weights) = (centroids, cutoffs, weights);
        Dimension = dimension;
        Bits = bits;
    }

    /// <summary>Width of a vector.</summary>
    public int Dimension { get; }

    /// <summary>Bits a residual value is coded with.</summary>
    public int Bits { get; }

    /// <summary>Number of centroids.</summary>
    public int CentroidCount => centroids.Length / Dimension;

    /// <summary>Bytes of one vector's packed residual: <see cref="Dimension"/> · <see cref="Bits"/> / 8.</summary>
    public int PackedBytes => Dimension * Bits / 8;

    /// <summary>The centroids [count × dim], unit vectors when trained.</summary>
    public ReadOnlySpan<float> Centroids => centroids;

    /// <summary>The bucket cutoffs (2^bits − 1, ascending).</summary>
    public ReadOnlySpan<float> Cutoffs => cutoffs;

    /// <summary>The value each bucket decodes to (2^bits).</summary>
    public ReadOnlySpan<float> Weights => weights;

    /// <summary>
    /// ColBERTv2's number of centroids for <paramref name="tokens"/> token vectors: 2^⌊log₂(16 · √tokens)⌋, at most
    /// <paramref name="points"/> (k-means needs a point a centroid).
    /// </summary>
    public static int CentroidsFor(long tokens, long points)
    {
        double target = Math.Floor(Math.Log2(16 * Math.Sqrt(Math.Max(1, tokens))));
        return (int)Math.Max(1, Math.Min(points, (long)Math.Pow(2, Math.Min(30, target))));
    }

    /// <summary>
    /// The buckets of <paramref name="bits"/>-bit codes for <paramref name="residuals"/> (held-out residual values, all
    /// dimensions together): cutoffs at the quantiles i / 2^bits and weights at i / 2^bits + 1 / 2^(bits+1).
    /// </summary>
    public static (float[] Cutoffs, float[] Weights) Buckets(ReadOnlySpan<float> residuals, int bits)
    {
        if (residuals.IsEmpty) throw new ArgumentException("no residual values to take quantiles of", nameof(residuals));
        var sorted = residuals.ToArray();
        Array.Sort(sorted);
        int options = 1 << bits;
        var cutoffs = new float[options - 1];
        var weights = new float[options];
        for (int i = 1; i < options; i++) cutoffs[i - 1] = Quantile(sorted, (float)i / options);
        for (int i = 0; i < options; i++) weights[i] = Quantile(sorted, (float)i / options + 0.5f / options);
        return (cutoffs, weights);
    }

    /// <summary>The <paramref name="q"/>-quantile of ascending <paramref name="sorted"/>, linear between neighbours (torch's default).</summary>
    private static float Quantile(float[] sorted, float q)
    {
        double at = q * (double)(sorted.Length - 1);
        int lo = (int)Math.Floor(at), hi = Math.Min(sorted.Length - 1, lo + 1);
        return (float)(sorted[lo] + (sorted[hi] - (double)sorted[lo]) * (at - lo));
    }

    /// <summary>
    /// Trains a codec on token vectors <paramref name="vectors"/> [n × dim]: spherical k-means (<see cref="KMeans"/>, the
    /// IVF index's) with <paramref name="count"/> centroids on a seeded sample, and the buckets from the residuals of a
    /// held-out 5% of the sample (at most 50,000 vectors, at least one), as ColBERTv2's indexer splits its sample.
    /// </summary>
    public static ResidualCodec Train(ReadOnlySpan<float> vectors, int n, int dim, int count, int bits, KMeansOptions? options = null)
    {
        options ??= new KMeansOptions();
        if (n < 2) throw new ArgumentException("a PLAID codec needs at least two token vectors", nameof(n));
        var random = new Random(options.Seed);
        int heldout = (int)Math.Clamp(n * 0.05, 1, 50_000);
        int train = (int)Math.Min(n - heldout, (long)count * options.PointsPerCentroid);
        count = Math.Min(count, train);
        var order = Enumerable.Range(0, n).ToArray();
        random.Shuffle(order);
        var data = new float[(long)train * dim];
        for (int i = 0; i < train; i++) vectors.Slice(order[i] * dim, dim).CopyTo(data.AsSpan(i * dim, dim));
        var centroids = KMeans.TrainOn(data, train, dim, count, options, random);
        var held = new float[heldout * dim];
        for (int i = 0; i < heldout; i++) vectors.Slice(order[n - heldout + i] * dim, dim).CopyTo(held.AsSpan(i * dim, dim));
        var cells = new int[heldout];
        KMeans.Assign(held, heldout, dim, centroids, count, cells);
        for (int i = 0; i < heldout; i++)
            System.Numerics.Tensors.TensorPrimitives.Subtract(held.AsSpan(i * dim, dim), centroids.AsSpan(cells[i] * dim, dim), held.AsSpan(i * dim, dim));
        var (cutoffs, weights) = Buckets(held, bits);
        return new ResidualCodec(centroids, dim, bits, cutoffs, weights);
    }

    /// <summary>
    /// Compresses <paramref name="n"/> vectors <paramref name="vectors"/> [n × dim]: each one's nearest centroid into
    /// <paramref name="cells"/> [n] (<see cref="KMeans.Assign"/>'s arithmetic; the centroids packed once per codec, not
    /// once per call, so coding an index row by row packs them once) and its packed residual into
    /// <paramref name="packed"/> [n × <see cref="PackedBytes"/>].
    /// </summary>
    public void Compress(ReadOnlySpan<float> vectors, int n, Span<int> cells, Span<byte> packed)
    {
        if (n == 0) return;
        if (NearestCentroid.Applies(Dimension)) KMeans.Assign(vectors[..(n * Dimension)], n, Dimension, centroids, CentroidCount, cells[..n]);
        else
        {
            var s = Volatile.Read(ref scorer);
            if (s is null)
            {
                s = new CentroidScorer(Dimension, CentroidCount); // two threads may both make one: the same values
                s.Load(centroids, default);
                Volatile.Write(ref scorer, s);
            }
            s.Assign(vectors[..(n * Dimension)], n, cells[..n], default);
        }
        for (int i = 0; i < n; i++)
            CompressResidual(vectors.Slice(i * Dimension, Dimension), cells[i], packed.Slice(i * PackedBytes, PackedBytes));
    }

    /// <summary>Packs the residual of <paramref name="vector"/> from centroid <paramref name="cell"/> into <paramref name="packed"/> (<see cref="PackedBytes"/>).</summary>
    public void CompressResidual(ReadOnlySpan<float> vector, int cell, Span<byte> packed)
    {
        var centroid = centroids.AsSpan(cell * Dimension, Dimension);
        packed[..PackedBytes].Clear();
        for (int d = 0; d < Dimension; d++)
        {
            float r = vector[d] - centroid[d];
            int bucket = 0;
            while (bucket < cutoffs.Length && cutoffs[bucket] < r) bucket++;
            for (int j = 0; j < Bits; j++)
            {
                int s = d * Bits + j;
                if (((bucket >> j) & 1) != 0) packed[s >> 3] |= (byte)(0x80 >> (s & 7));
            }
        }
    }

    /// <summary>Writes the unit-length vector that centroid <paramref name="cell"/> and <paramref name="packed"/> decode to into <paramref name="destination"/> [dim].</summary>
    public void Decompress(int cell, ReadOnlySpan<byte> packed, Span<float> destination)
    {
        var centroid = centroids.AsSpan(cell * Dimension, Dimension);
        double norm = 0;
        for (int d = 0; d < Dimension; d++)
        {
            int bucket = 0;
            for (int j = 0; j < Bits; j++)
            {
                int s = d * Bits + j;
                bucket |= ((packed[s >> 3] >> (7 - (s & 7))) & 1) << j;
            }
            float v = centroid[d] + weights[bucket];
            destination[d] = v;
            norm += (double)v * v;
        }
        float scale = (float)(1 / Math.Max(Math.Sqrt(norm), 1e-12));
        for (int d = 0; d < Dimension; d++) destination[d] *= scale;
    }

    /// <summary>Writes the codec (<c>plaid.codec</c>: magic, dim, bits, count, cutoffs, weights, centroids; little-endian).</summary>
    public void Write(Stream stream)
    {
        var header = new byte[20];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), Bits);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), CentroidCount);
        stream.Write(header);
        foreach (var part in new[] { cutoffs, weights, centroids })
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(part.AsSpan()));
    }

    /// <summary>Reads a codec <see cref="Write"/> wrote; a damaged file is an <see cref="EvaluationException"/> naming <paramref name="path"/>.</summary>
    public static ResidualCodec Read(string path, int dimension)
    {
        if (!File.Exists(path)) throw new EvaluationException($"{path}: missing (index damaged?)");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 20 || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) throw new EvaluationException($"{path}: not a Skald PLAID codec (index damaged?)");
        int dim = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)), bits = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12)),
            count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16));
        if (dim != dimension || bits is not (1 or 2 or 4) || count < 1 || dim % (8 * bits) != 0)
            throw new EvaluationException($"{path}: {dim}-value vectors at {bits} bits, {count} centroids; the index's vectors have {dimension} values (index damaged?)");
        long expected = 20 + 4L * ((1 << bits) - 1 + (1 << bits) + (long)count * dim);
        if (bytes.Length != expected) throw new EvaluationException($"{path}: {bytes.Length} bytes, expected {expected} (index damaged?)");
        float[] Floats(int at, int n) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(at, n * 4)).ToArray();
        int c = (1 << bits) - 1, w = 1 << bits;
        return new ResidualCodec(Floats(20 + 4 * (c + w), count * dim), dim, bits, Floats(20, c), Floats(20 + 4 * c, w));
    }
}
