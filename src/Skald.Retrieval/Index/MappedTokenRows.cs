using System.Buffers.Binary;
using Skald.Tensors.Kernels;

namespace Skald.Retrieval.Index;

/// <summary>
/// A late-interaction index's token vectors, memory-mapped (<see cref="MappedFile"/>), in the index's
/// <see cref="TokenPrecision"/>: <c>tokens.f32</c> (every row's token vectors back to back, row-major float32
/// [tokens × dim]), <c>tokens.f16</c> (the same as IEEE float16) or <c>tokens.i8</c> (int8 codes) with
/// <c>tokens.scales</c> (one float32 per token vector: its largest absolute value,
/// <see cref="MaxSimQuantized.QuantizeInt8"/>); and <c>tokens.offsets</c> (rows + 1 little-endian int64: row r's
/// vectors are tokens offsets[r] .. offsets[r + 1]; read whole at open and checked: starting at 0, never decreasing,
/// ending at the files' token count). Thread-safe for reading.
/// </summary>
internal sealed class MappedTokenRows : IDisposable
{
    /// <summary>The float32 token vectors' file name.</summary>
    public const string VectorsFile = "tokens.f32";

    /// <summary>The float16 token vectors' file name.</summary>
    public const string Float16File = "tokens.f16";

    /// <summary>The int8 codes' file name.</summary>
    public const string Int8File = "tokens.i8";

    /// <summary>The int8 vectors' largest absolute values (float32, one per token vector).</summary>
    public const string ScalesFile = "tokens.scales";

    /// <summary>The per-row offsets' file name.</summary>
    public const string OffsetsFile = "tokens.offsets";

    private readonly MappedFile file;
    private readonly MappedFile? scales;
    private readonly long[] offsets;

    /// <summary>The file that holds the token vectors in <paramref name="precision"/>.</summary>
    public static string FileOf(TokenPrecision precision) => precision switch
    {
        TokenPrecision.Float16 => Float16File,
        TokenPrecision.Int8 => Int8File,
        _ => VectorsFile,
    };

    /// <summary>Bytes of one stored value in <paramref name="precision"/>.</summary>
    public static int BytesPerValue(TokenPrecision precision) => precision switch
    {
        TokenPrecision.Float16 => 2,
        TokenPrecision.Int8 => 1,
        _ => 4,
    };

    /// <summary>Opens the token files of an index of <paramref name="rows"/> rows of <paramref name="dim"/>-value vectors in <paramref name="folder"/>.</summary>
    public MappedTokenRows(string folder, int rows, int dim, TokenPrecision precision = TokenPrecision.Float32)
    {
        string offsetsPath = Path.Combine(folder, OffsetsFile), path = Path.Combine(folder, FileOf(precision));
        string? scalesPath = precision == TokenPrecision.Int8 ? Path.Combine(folder, ScalesFile) : null;
        foreach (string? f in new[] { offsetsPath, path, scalesPath })
            if (f is not null && !File.Exists(f)) throw new EvaluationException($"{f}: missing (index damaged?)");
        if (dim > MaxSimQuantized.MaxDimension && precision != TokenPrecision.Float32)
            throw new EvaluationException($"{path}: {dim}-value token vectors; {precision.ToString().ToLowerInvariant()} ones are at most {MaxSimQuantized.MaxDimension} wide");
        byte[] bytes = File.ReadAllBytes(offsetsPath);
        if (bytes.Length != (rows + 1L) * sizeof(long))
            throw new EvaluationException($"{offsetsPath}: {bytes.Length} bytes, expected {rows + 1} offsets of 8 bytes for {rows} rows (index damaged?)");
        offsets = new long[rows + 1];
        for (int r = 0; r <= rows; r++)
        {
            offsets[r] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(r * sizeof(long)));
            if (r == 0 ? offsets[0] != 0 : offsets[r] < offsets[r - 1] || offsets[r] - offsets[r - 1] > int.MaxValue / dim)
                throw new EvaluationException($"{offsetsPath}: offset {r} is {offsets[r]}, {(r == 0 ? "expected 0" : $"after {offsets[r - 1]}")} (index damaged?)");
        }
        int width = BytesPerValue(precision);
        long length = new FileInfo(path).Length, expected = offsets[rows] * dim * width;
        if (length != expected)
            throw new EvaluationException($"{path}: {length} bytes, expected {offsets[rows]} token vectors × {dim} values of {width} bytes = {expected} (index damaged?)");
        if (scalesPath is not null && new FileInfo(scalesPath).Length is var s && s != offsets[rows] * sizeof(float))
            throw new EvaluationException($"{scalesPath}: {s} bytes, expected a float32 for each of {offsets[rows]} token vectors = {offsets[rows] * sizeof(float)} (index damaged?)");
        Dimension = dim;
        Precision = precision;
        file = new MappedFile(path);
        try { scales = scalesPath is null ? null : new MappedFile(scalesPath); }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Row count.</summary>
    public int Rows => offsets.Length - 1;

    /// <summary>Width of a token vector.</summary>
    public int Dimension { get; }

    /// <summary>The number format the vectors are stored in.</summary>
    public TokenPrecision Precision { get; }

    /// <summary>Token vectors of all rows.</summary>
    public long Tokens => offsets[^1];

    /// <summary>How many token vectors row <paramref name="row"/> has.</summary>
    public int TokenCount(int row)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        return (int)(offsets[row + 1] - offsets[row]);
    }

    /// <summary>Row <paramref name="row"/>'s float32 token vectors [tokens × dim], a view of the mapping (an index of another precision: <see cref="InvalidOperationException"/>; <see cref="CopyRow"/> decodes any).</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        int n = TokenCount(row);
        if (Precision != TokenPrecision.Float32)
            throw new InvalidOperationException($"{file.Path}: the token vectors are stored as {Precision.ToString().ToLowerInvariant()}; decode them with CopyTokens");
        return file.Span<float>(offsets[row] * Dimension * sizeof(float), n * Dimension);
    }

    /// <summary>Writes row <paramref name="row"/>'s token vectors as float32 into <paramref name="destination"/> (at least tokens × dim long); returns how many values.</summary>
    public int CopyRow(int row, Span<float> destination)
    {
        int n = TokenCount(row) * Dimension;
        if (destination.Length < n) throw new ArgumentException($"row {row} has {n} values, more than the {destination.Length} given room", nameof(destination));
        long start = offsets[row] * Dimension;
        switch (Precision)
        {
            case TokenPrecision.Float16:
                F16.ToSingle(file.Span<ushort>(start * 2, n), destination);
                break;
            case TokenPrecision.Int8:
                var codes = file.Span<sbyte>(start, n);
                var maxima = scales!.Span<float>(offsets[row] * sizeof(float), n / Dimension);
                for (int t = 0; t < maxima.Length; t++)
                    MaxSimQuantized.DequantizeInt8(codes.Slice(t * Dimension, Dimension), maxima[t], destination.Slice(t * Dimension, Dimension));
                break;
            default:
                file.Span<float>(start * sizeof(float), n).CopyTo(destination);
                break;
        }
        return n;
    }

    /// <summary>The MaxSim of <paramref name="query"/> [query tokens × dim] against row <paramref name="row"/>, read where it lies in the mapping in its own format (nothing allocated).</summary>
    public float Score(ReadOnlySpan<float> query, int row)
    {
        int n = TokenCount(row) * Dimension;
        long start = offsets[row] * Dimension;
        return Precision switch
        {
            TokenPrecision.Float16 => MaxSimQuantized.ScoreFloat16(query, file.Span<ushort>(start * 2, n), Dimension),
            TokenPrecision.Int8 => MaxSimQuantized.ScoreInt8(query, file.Span<sbyte>(start, n), scales!.Span<float>(offsets[row] * sizeof(float), n / Dimension), Dimension),
            _ => MaxSim.Score(query, file.Span<float>(start * sizeof(float), n), Dimension),
        };
    }

    /// <summary>Throws <see cref="EvaluationException"/> when a file was cut shorter since it was mapped (<see cref="MappedFile.ThrowIfCut"/>).</summary>
    public void ThrowIfCut()
    {
        file.ThrowIfCut();
        scales?.ThrowIfCut();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        file.Dispose();
        scales?.Dispose();
    }
}
