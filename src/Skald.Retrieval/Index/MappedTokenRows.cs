using System.Buffers.Binary;

namespace Skald.Retrieval.Index;

/// <summary>
/// A late-interaction index's token vectors: <c>tokens.f32</c> (every row's token vectors back to back, row-major
/// float32 [tokens × dim], memory-mapped: <see cref="MappedFile"/>) and <c>tokens.offsets</c> (rows + 1 little-endian
/// int64: row r's vectors are tokens offsets[r] .. offsets[r + 1]; read whole at open and checked: starting at 0, never
/// decreasing, ending at the file's token count). Thread-safe for reading.
/// </summary>
internal sealed class MappedTokenRows : IDisposable
{
    /// <summary>The token vectors' file name.</summary>
    public const string VectorsFile = "tokens.f32";

    /// <summary>The per-row offsets' file name.</summary>
    public const string OffsetsFile = "tokens.offsets";

    private readonly MappedFile file;
    private readonly long[] offsets;

    /// <summary>Opens the token files of an index of <paramref name="rows"/> rows of <paramref name="dim"/>-value vectors in <paramref name="folder"/>.</summary>
    public MappedTokenRows(string folder, int rows, int dim)
    {
        string offsetsPath = Path.Combine(folder, OffsetsFile), path = Path.Combine(folder, VectorsFile);
        foreach (string f in new[] { offsetsPath, path })
            if (!File.Exists(f)) throw new EvaluationException($"{f}: missing (index damaged?)");
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
        long length = new FileInfo(path).Length, expected = offsets[rows] * dim * sizeof(float);
        if (length != expected)
            throw new EvaluationException($"{path}: {length} bytes, expected {offsets[rows]} token vectors × {dim} floats = {expected} (index damaged?)");
        Dimension = dim;
        file = new MappedFile(path);
    }

    /// <summary>Row count.</summary>
    public int Rows => offsets.Length - 1;

    /// <summary>Width of a token vector.</summary>
    public int Dimension { get; }

    /// <summary>Token vectors of all rows.</summary>
    public long Tokens => offsets[^1];

    /// <summary>Row <paramref name="row"/>'s token vectors [tokens × dim], a view of the mapping.</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        long start = offsets[row];
        return file.Span<float>(start * Dimension * sizeof(float), (int)(offsets[row + 1] - start) * Dimension);
    }

    /// <summary>Throws <see cref="EvaluationException"/> when the file was cut shorter since it was mapped (<see cref="MappedFile.ThrowIfCut"/>).</summary>
    public void ThrowIfCut() => file.ThrowIfCut();

    /// <inheritdoc/>
    public void Dispose() => file.Dispose();
}
