namespace Skald.Retrieval.Index;

/// <summary>
/// A read-only memory-mapped view of a row-major float32 matrix [rows × dim] (an index's <c>embeddings.f32</c>): rows
/// are handed out as spans and memory over the mapping itself (<see cref="MappedFile"/>), so search reads the file
/// through the page cache with no copy and the corpus need not fit in the managed heap. Thread-safe for reading.
/// </summary>
internal sealed class MappedRows : IDisposable
{
    private readonly MappedFile file;

    /// <summary>Maps <paramref name="path"/>, which must hold exactly rows × dim floats.</summary>
    public MappedRows(string path, int rows, int dim)
    {
        Rows = rows;
        Dimension = dim;
        long bytes = (long)rows * dim * sizeof(float);
        if (!File.Exists(path)) throw new EvaluationException($"{path}: missing (index damaged?)");
        long length = new FileInfo(path).Length;
        if (length != bytes)
            throw new EvaluationException($"{path}: {length} bytes, expected {rows} rows × {dim} floats = {bytes} (index damaged?)");
        file = new MappedFile(path);
    }

    /// <summary>Row count.</summary>
    public int Rows { get; }

    /// <summary>Row width.</summary>
    public int Dimension { get; }

    /// <summary>Row <paramref name="row"/> [dim].</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        return file.Span<float>((long)row * Dimension * sizeof(float), Dimension);
    }

    /// <summary>Rows [start, start + count) as a span [count × dim] over the mapping (count × dim must fit an int).</summary>
    public ReadOnlySpan<float> Span(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows) throw new ArgumentOutOfRangeException(nameof(count));
        return file.Span<float>((long)start * Dimension * sizeof(float), checked(count * Dimension));
    }

    /// <summary>Rows [start, start + count) as one block [count × dim] over the mapping (count × dim must fit an int).</summary>
    public ReadOnlyMemory<float> Block(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Rows) throw new ArgumentOutOfRangeException(nameof(count));
        return file.Memory<float>((long)start * Dimension * sizeof(float), checked(count * Dimension));
    }

    /// <summary>Throws <see cref="EvaluationException"/> when the file was cut shorter since it was mapped (<see cref="MappedFile.ThrowIfCut"/>).</summary>
    public void ThrowIfCut() => file.ThrowIfCut();

    /// <inheritdoc/>
    public void Dispose() => file.Dispose();
}
