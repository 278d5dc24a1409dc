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
/// ending at the files' token count). A PLAID index (<see cref="TokenPrecision.Plaid"/>) maps <c>tokens.cells</c> (int32
/// centroid ids) and <c>tokens.residuals</c> (packed bucket codes) and reads <c>plaid.codec</c> and <c>plaid.ivf</c>
/// (<see cref="Plaid.ResidualCodec"/>, <see cref="Plaid.CellLists"/>); its rows are decoded per token (approximate
/// vectors). Thread-safe for reading.
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

    /// <summary>A PLAID index's centroid ids (int32, one per token vector).</summary>
    public const string CellsFile = "tokens.cells";

    /// <summary>A PLAID index's packed residual codes (<see cref="Plaid.ResidualCodec.PackedBytes"/> per token vector).</summary>
    public const string ResidualsFile = "tokens.residuals";

    /// <summary>A PLAID index's codec (<see cref="Plaid.ResidualCodec.Write"/>).</summary>
    public const string CodecFile = "plaid.codec";

    /// <summary>A PLAID index's centroid → rows lists (<see cref="Plaid.CellLists"/>).</summary>
    public const string ListsFile = "plaid.ivf";

    /// <summary>The per-row offsets' file name.</summary>
    public const string OffsetsFile = "tokens.offsets";

    private readonly MappedFile file;
    private readonly MappedFile? scales;
    private readonly MappedFile? cells;
    private readonly int bytesPerToken;

    [ThreadStatic] private static float[]? decoded; // a PLAID row decoded for scoring: grown, never allocated per row
    private readonly long[] offsets;

    /// <summary>The file that holds the token vectors in <paramref name="precision"/>.</summary>
    public static string FileOf(TokenPrecision precision) => precision switch
    {
        TokenPrecision.Float16 => Float16File,
        TokenPrecision.Int8 => Int8File,
        TokenPrecision.Plaid => ResidualsFile,
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
        string? cellsPath = precision == TokenPrecision.Plaid ? Path.Combine(folder, CellsFile) : null;
        foreach (string? f in new[] { offsetsPath, path, scalesPath, cellsPath })
            if (f is not null && !File.Exists(f)) throw new EvaluationException($"{f}: missing (index damaged?)");
        if (dim > MaxSimQuantized.MaxDimension && precision is TokenPrecision.Float16 or TokenPrecision.Int8)
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
        if (precision == TokenPrecision.Plaid)
        {
            Codec = Plaid.ResidualCodec.Read(Path.Combine(folder, CodecFile), dim);
            Lists = Plaid.CellLists.Read(Path.Combine(folder, ListsFile), Codec.CentroidCount, rows);
            bytesPerToken = Codec.PackedBytes;
            if (new FileInfo(cellsPath!).Length is var c && c != offsets[rows] * sizeof(int))
                throw new EvaluationException($"{cellsPath}: {c} bytes, expected an int32 centroid id for each of {offsets[rows]} token vectors = {offsets[rows] * sizeof(int)} (index damaged?)");
        }
        else bytesPerToken = dim * BytesPerValue(precision);
        long length = new FileInfo(path).Length, expected = offsets[rows] * bytesPerToken;
        if (length != expected)
            throw new EvaluationException($"{path}: {length} bytes, expected {offsets[rows]} token vectors × {bytesPerToken} bytes = {expected} (index damaged?)");
        if (scalesPath is not null && new FileInfo(scalesPath).Length is var s && s != offsets[rows] * sizeof(float))
            throw new EvaluationException($"{scalesPath}: {s} bytes, expected a float32 for each of {offsets[rows]} token vectors = {offsets[rows] * sizeof(float)} (index damaged?)");
        Dimension = dim;
        Precision = precision;
        file = new MappedFile(path);
        try
        {
            scales = scalesPath is null ? null : new MappedFile(scalesPath);
            cells = cellsPath is null ? null : new MappedFile(cellsPath);
            if (cells is not null)
            {
                var all = cells.Span<int>(0, (int)offsets[rows]);
                foreach (int id in all)
                    if ((uint)id >= (uint)Codec!.CentroidCount) throw new EvaluationException($"{cellsPath}: centroid {id} of {Codec.CentroidCount} (index damaged?)");
            }
        }
        catch
        {
            file.Dispose();
            scales?.Dispose();
            throw;
        }
    }

    /// <summary>A PLAID index's codec, else null.</summary>
    public Plaid.ResidualCodec? Codec { get; }

    /// <summary>A PLAID index's centroid → rows lists, else null.</summary>
    public Plaid.CellLists? Lists { get; }

    /// <summary>A PLAID index's centroid ids of row <paramref name="row"/>'s token vectors (a view of the mapping).</summary>
    public ReadOnlySpan<int> Cells(int row) => cells!.Span<int>(offsets[row] * sizeof(int), TokenCount(row));

    /// <summary>A PLAID index's packed residual codes of row <paramref name="row"/> [tokens × <see cref="Plaid.ResidualCodec.PackedBytes"/>] (a view of the mapping).</summary>
    public ReadOnlySpan<byte> Residuals(int row) => file.Span<byte>(offsets[row] * bytesPerToken, TokenCount(row) * bytesPerToken);

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
            case TokenPrecision.Plaid:
                Decode(row, destination);
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
        if (Precision == TokenPrecision.Plaid)
        {
            int values = TokenCount(row) * Dimension;
            if (decoded is null || decoded.Length < values) decoded = new float[Math.Max(values, 64 * Dimension)];
            Decode(row, decoded);
            return MaxSim.Score(query, decoded.AsSpan(0, values), Dimension);
        }
        int n = TokenCount(row) * Dimension;
        long start = offsets[row] * Dimension;
        return Precision switch
        {
            TokenPrecision.Float16 => MaxSimQuantized.ScoreFloat16(query, file.Span<ushort>(start * 2, n), Dimension),
            TokenPrecision.Int8 => MaxSimQuantized.ScoreInt8(query, file.Span<sbyte>(start, n), scales!.Span<float>(offsets[row] * sizeof(float), n / Dimension), Dimension),
            _ => MaxSim.Score(query, file.Span<float>(start * sizeof(float), n), Dimension),
        };
    }

    /// <summary>Decompresses a PLAID row's token vectors into <paramref name="destination"/> (<see cref="Plaid.ResidualCodec.Decompress"/>).</summary>
    private void Decode(int row, Span<float> destination)
    {
        var ids = Cells(row);
        var codes = Residuals(row);
        for (int t = 0; t < ids.Length; t++)
            Codec!.Decompress(ids[t], codes.Slice(t * bytesPerToken, bytesPerToken), destination.Slice(t * Dimension, Dimension));
    }

    /// <summary>Throws <see cref="EvaluationException"/> when a file was cut shorter since it was mapped (<see cref="MappedFile.ThrowIfCut"/>).</summary>
    public void ThrowIfCut()
    {
        file.ThrowIfCut();
        scales?.ThrowIfCut();
        cells?.ThrowIfCut();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        file.Dispose();
        scales?.Dispose();
        cells?.Dispose();
    }
}
