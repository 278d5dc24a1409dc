using System.Runtime.Intrinsics;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// Quantizes float embeddings to a lower <see cref="EmbeddingPrecision"/>, as sentence-transformers'
/// <c>quantize_embeddings</c> does (the same bytes: float32 arithmetic as numpy does it, truncation toward zero),
/// except that values outside the calibration range are held to the format's ends (numpy wraps them around) and a
/// dimension whose range is one value maps to the format's bottom (numpy divides 0 by 0 there).
/// </summary>
public static class EmbeddingQuantizer
{
    /// <summary>The precision named <paramref name="name"/> (float32, int8, uint8, binary, ubinary; any case).</summary>
    public static EmbeddingPrecision Parse(string name) => name.ToLowerInvariant() switch
    {
        "float32" => EmbeddingPrecision.Float32,
        "int8" => EmbeddingPrecision.Int8,
        "uint8" => EmbeddingPrecision.Uint8,
        "binary" => EmbeddingPrecision.Binary,
        "ubinary" => EmbeddingPrecision.Ubinary,
        _ => throw new ArgumentException($"unknown embedding precision '{name}' (float32, int8, uint8, binary or ubinary)"),
    };

    /// <summary>The name of <paramref name="precision"/> (as <see cref="Parse"/> reads it).</summary>
    public static string Name(EmbeddingPrecision precision) => precision.ToString().ToLowerInvariant();

    /// <summary>Whether the precision packs one bit per dimension.</summary>
    public static bool IsBinary(EmbeddingPrecision precision) =>
        precision is EmbeddingPrecision.Binary or EmbeddingPrecision.Ubinary;

    /// <summary>Whether the precision needs calibration ranges.</summary>
    public static bool NeedsRanges(EmbeddingPrecision precision) =>
        precision is EmbeddingPrecision.Int8 or EmbeddingPrecision.Uint8;

    /// <summary>Bytes one quantized embedding of <paramref name="dim"/> dimensions takes (binary: dim a multiple of 8).</summary>
    public static int BytesPerRow(EmbeddingPrecision precision, int dim)
    {
        if (IsBinary(precision) && dim % 8 != 0)
            throw new ArgumentException($"{Name(precision)} embeddings need a dimension divisible by 8, not {dim}");
        return precision switch
        {
            EmbeddingPrecision.Float32 => dim * sizeof(float),
            EmbeddingPrecision.Int8 or EmbeddingPrecision.Uint8 => dim,
            _ => dim / 8,
        };
    }

    /// <summary>
    /// Quantizes every row (all of one dimension). <paramref name="ranges"/> is used by int8 / uint8 and, when null,
    /// computed from <paramref name="embeddings"/> themselves (better: from a larger calibration set, e.g. the corpus).
    /// </summary>
    public static QuantizedEmbeddings Quantize(IReadOnlyList<float[]> embeddings, EmbeddingPrecision precision,
        QuantizationRanges? ranges = null)
    {
        int dim = embeddings.Count == 0 ? ranges?.Dimension ?? 0 : embeddings[0].Length;
        if (NeedsRanges(precision) && embeddings.Count > 0) ranges ??= QuantizationRanges.FromEmbeddings(embeddings);
        if (!NeedsRanges(precision)) ranges = null;
        int width = BytesPerRow(precision, dim);
        var data = new byte[(long)embeddings.Count * width];
        for (int r = 0; r < embeddings.Count; r++)
        {
            if (embeddings[r].Length != dim)
                throw new ArgumentException($"embedding {r} has {embeddings[r].Length} values, expected {dim}");
            QuantizeRow(embeddings[r], precision, ranges, data.AsSpan(r * width, width));
        }
        return new QuantizedEmbeddings(precision, embeddings.Count, dim, data, ranges);
    }

    /// <summary>
    /// As <see cref="Quantize(IReadOnlyList{float[]}, EmbeddingPrecision, QuantizationRanges?)"/> for a row-major matrix
    /// of <paramref name="dimension"/>-wide rows (no per-row arrays: a million-row corpus in one buffer).
    /// </summary>
    public static QuantizedEmbeddings Quantize(ReadOnlySpan<float> matrix, int dimension, EmbeddingPrecision precision,
        QuantizationRanges? ranges = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (matrix.Length % dimension != 0) throw new ArgumentException($"{matrix.Length} values are not rows of {dimension}");
        int rows = matrix.Length / dimension;
        if (NeedsRanges(precision) && rows > 0) ranges ??= QuantizationRanges.FromRows(matrix, dimension);
        if (!NeedsRanges(precision)) ranges = null;
        int width = BytesPerRow(precision, dimension);
        var data = new byte[(long)rows * width];
        for (int r = 0; r < rows; r++) QuantizeRow(matrix.Slice(r * dimension, dimension), precision, ranges, data.AsSpan(r * width, width));
        return new QuantizedEmbeddings(precision, rows, dimension, data, ranges);
    }

    /// <summary>One embedding into <paramref name="destination"/> (<see cref="BytesPerRow"/> bytes; int8 as two's complement).</summary>
    public static void QuantizeRow(ReadOnlySpan<float> x, EmbeddingPrecision precision, QuantizationRanges? ranges,
        Span<byte> destination)
    {
        int width = BytesPerRow(precision, x.Length);
        if (destination.Length < width) throw new ArgumentException($"destination holds {destination.Length} bytes, {width} needed");
        switch (precision)
        {
            case EmbeddingPrecision.Float32:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(x).CopyTo(destination);
                break;
            case EmbeddingPrecision.Int8:
            case EmbeddingPrecision.Uint8:
                if (ranges is null) throw new ArgumentException($"{Name(precision)} needs calibration ranges");
                if (ranges.Dimension != x.Length)
                    throw new ArgumentException($"ranges cover {ranges.Dimension} dimensions, the embedding has {x.Length}");
                Levels(x, ranges.Starts, ranges.Steps, precision == EmbeddingPrecision.Int8, destination);
                break;
            default:
                int flip = precision == EmbeddingPrecision.Binary ? 0x80 : 0;
                for (int b = 0; b < width; b++)
                {
                    int bits = 0;
                    for (int i = 0; i < 8; i++) bits = (bits << 1) | (x[b * 8 + i] > 0f ? 1 : 0);
                    destination[b] = (byte)(bits ^ flip); // packed − 128 as a signed byte = the packed byte with its top bit flipped
                }
                break;
        }
    }

    /// <summary>
    /// The values int8 / uint8 row <paramref name="row"/> of <paramref name="embeddings"/> stands for, into
    /// <paramref name="into"/>: each level read back at the middle of the calibration range's values that quantize to
    /// it, start + m·step (<see cref="Middle"/>), so a value inside the range is off by at most half its level's width.
    /// Binary rows hold signs only and have no values (<see cref="ArgumentException"/>).
    /// </summary>
    public static void Dequantize(QuantizedEmbeddings embeddings, int row, Span<float> into)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Ranges is not { } ranges)
            throw new ArgumentException($"{Name(embeddings.Precision)} embeddings hold no values to dequantize (int8 or uint8 do)", nameof(embeddings));
        int dim = embeddings.Dimension;
        if (into.Length < dim) throw new ArgumentException($"{dim} values need room for {dim}, got {into.Length}", nameof(into));
        var levels = embeddings.Row(row);
        var middles = embeddings.Precision == EmbeddingPrecision.Int8 ? Int8Middles : Uint8Middles;
        ReadOnlySpan<float> starts = ranges.Starts, steps = ranges.Steps;
        for (int d = 0; d < dim; d++) into[d] = starts[d] + middles[levels[d]] * steps[d];
    }

    /// <summary>
    /// Where in steps above the range's start the values of a level lie in the middle, (x − start) / step of the range
    /// [0, 255] (<see cref="Level"/>): uint8 level b holds [b, b + 1), so b + ½, except 255, which holds 255 alone (the
    /// range's end). int8 truncates v − 128 toward zero, so level L &gt; 0 holds [L + 128, L + 129), L &lt; 0 holds
    /// (L + 127, L + 128], and level 0 holds (127, 129), two steps: middles L + 128½, L + 127½ and 128; −128 holds 0
    /// alone and 127 holds 255 alone (the range's ends).
    /// </summary>
    internal static float Middle(int level, bool signed) => signed
        ? level switch { -128 => 0f, < 0 => level + 127.5f, 0 => 128f, 127 => 255f, _ => level + 128.5f }
        : level == 255 ? 255f : level + 0.5f;

    // Middle of each stored byte: int8 as two's complement.
    private static readonly float[] Int8Middles = [.. Enumerable.Range(0, 256).Select(b => Middle((sbyte)b, true))];
    private static readonly float[] Uint8Middles = [.. Enumerable.Range(0, 256).Select(b => Middle(b, false))];

    /// <summary>
    /// Every value's <see cref="Level"/> into <paramref name="destination"/> (int8 as two's complement), 8 lanes at a time
    /// with the same float32 operations (subtract, divide, subtract 128, truncate, hold to the range), so the bytes equal
    /// <see cref="LevelsScalar"/>'s.
    /// </summary>
    internal static void Levels(ReadOnlySpan<float> x, ReadOnlySpan<float> starts, ReadOnlySpan<float> steps, bool signed, Span<byte> destination)
    {
        int d = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lo = Vector256.Create(signed ? -128f : 0f);
            var hi = Vector256.Create(signed ? 127f : 255f);
            var offset = Vector256.Create(signed ? 128f : 0f);
            for (; d <= x.Length - 8; d += 8)
            {
                var step = Vector256.Create(steps.Slice(d, 8));
                var v = (Vector256.Create(x.Slice(d, 8)) - Vector256.Create(starts.Slice(d, 8))) / step - offset;
                // A lane counts when its step is positive and its value is a number; the others take the bottom level.
                var valid = Vector256.GreaterThan(step, Vector256<float>.Zero)
                    & Vector256.Equals(v, v);
                var t = Vector256.Min(Vector256.Max(Vector256.Truncate(v), lo), hi);
                var levels = Vector256.ConvertToInt32(Vector256.ConditionalSelect(valid, t, lo));
                for (int l = 0; l < 8; l++) destination[d + l] = (byte)levels.GetElement(l);
            }
        }
        LevelsScalar(x[d..], starts[d..], steps[d..], signed, destination[d..]);
    }

    /// <summary>Scalar twin of <see cref="Levels"/>: <see cref="Level"/> value by value.</summary>
    internal static void LevelsScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> starts, ReadOnlySpan<float> steps, bool signed, Span<byte> destination)
    {
        for (int d = 0; d < x.Length; d++) destination[d] = (byte)Level(x[d], starts[d], steps[d], signed);
    }

    /// <summary>
    /// One value's level: numpy's <c>((x − start) / step − 128).astype(int8)</c> (or without the 128 for uint8), each
    /// operation rounded to float32, truncated toward zero, held to the format's range.
    /// </summary>
    internal static int Level(float x, float start, float step, bool signed)
    {
        int lo = signed ? -128 : 0, hi = signed ? 127 : 255;
        if (!(step > 0f)) return lo;
        float v = (x - start) / step;
        if (signed) v -= 128f;
        if (float.IsNaN(v)) return lo;
        return (int)Math.Clamp(MathF.Truncate(v), lo, hi);
    }
}
