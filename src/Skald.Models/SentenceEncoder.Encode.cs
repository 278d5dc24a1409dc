namespace Skald.Models;

// SentenceEncoder, continued: Encode, texts to embeddings in batches (checks, ordering, cancellation, truncate_dim).
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// Embeds one text (<see cref="Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/>): a null
    /// <paramref name="text"/> is an <see cref="ArgumentNullException"/>.
    /// </summary>
    public float[] Encode(string text, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encode([text], options)[0];
    }

    /// <summary>Embeds texts; result i belongs to text i (<see cref="Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/>).</summary>
    public float[][] Encode(IReadOnlyList<string> texts, EncodeOptions? options = null) => Encode(texts, options, CancellationToken.None);

    /// <summary>
    /// Embeds texts; result i belongs to text i (none: an empty result, without a forward pass). A text past the max
    /// length (<see cref="EncodeOptions.MaxLength"/>, default <see cref="MaxSeqLength"/>) is embedded from its first
    /// tokens. <paramref name="cancellationToken"/> is looked at before anything is done, before each batch (a
    /// forward pass of <see cref="EncodeOptions.BatchSize"/> texts) and, within a batch, before each layer of the
    /// transformer: once it is cancelled the pass stops at the next layer, no further batch starts and
    /// <see cref="OperationCanceledException"/> is thrown with that token (the model stays usable). Throws
    /// <see cref="ArgumentNullException"/> for null <paramref name="texts"/>, <see cref="ArgumentException"/> naming
    /// <paramref name="texts"/> for a null text in it, <see cref="ArgumentOutOfRangeException"/> naming <paramref name="options"/> for a <see cref="EncodeOptions.BatchSize"/>
    /// or <see cref="EncodeOptions.MaxLength"/> (or a CSR model's <see cref="EncodeOptions.MaxActiveDims"/>) below 1 or a <see cref="EncodeOptions.TruncateDim"/> outside
    /// 1..<see cref="Dimension"/> (or any on a sparse encoder), <see cref="ModelFormatException"/> for a prompt name,
    /// instruction or route the model does not have, and <see cref="ObjectDisposedException"/> once disposed.
    /// </summary>
    public float[][] Encode(IReadOnlyList<string> texts, EncodeOptions? options, CancellationToken cancellationToken) =>
        Encode(texts, options, cancellationToken, out _);

    /// <summary>
    /// Encode, and the tokens the model read (prompts and special tokens included, after truncation), counted from the
    /// tokenization the texts were embedded from (usage without tokenizing them again).
    /// </summary>
    internal float[][] Encode(IReadOnlyList<string> texts, EncodeOptions? options, CancellationToken cancellationToken, out long tokens)
    {
        ArgumentNullException.ThrowIfNull(texts);
        cancellationToken.ThrowIfCancellationRequested();
        options ??= new EncodeOptions();
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        if (options.TruncateDim is { } dims && (dims < 1 || dims > Dimension || IsSparse))
            throw new ArgumentOutOfRangeException(nameof(options), IsSparse ? $"{Folder.Path}: TruncateDim (truncate_dim) is for dense embeddings; this is a sparse encoder (use MaxActiveDims)"
                : $"{Folder.Path}: TruncateDim (truncate_dim) {dims} is not in 1..{Dimension} (the model's dimension)");
        if (options.MaxActiveDims is < 1 && AutoEncoder is not null)
            throw new ArgumentOutOfRangeException(nameof(options), $"{Folder.Path}: MaxActiveDims (max_active_dims) must be at least 1, got {options.MaxActiveDims}");
        var inputs = Prepare(texts, options);
        tokens = inputs.Encodings.Sum(e => (long)e.Length);
        options.TruncatedTexts?.Invoke(inputs.Encodings.Count(e => e.Truncated));
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => inputs.Encodings[i].Ids.Length).ToArray();
        var result = new float[texts.Count][];
        int width = options.TruncateDim ?? Dimension;
        bool normalize = options.Normalize && options.TruncateDim is null; // truncated vectors are normalised after the cut
        int batches = (order.Length + options.BatchSize - 1) / options.BatchSize, done = 0;
        batchLoop.Run(batches, options.BatchesInFlight, gate, cancellationToken, (tape, index) =>
        {
            int start = index * options.BatchSize, b = Math.Min(options.BatchSize, order.Length - start);
            var rows = order.AsSpan(start, b);
            using (tape.Pass(cancellationToken))
            {
                var y = Forward(tape, inputs.Select(rows.ToArray()), normalize);
                CheckFinite(y.Span, y.Cols, rows);
                for (int i = 0; i < b; i++) result[rows[i]] = y.Span.Slice(i * y.Cols, width).ToArray();
            }
        }, index =>
        {
            done += Math.Min(options.BatchSize, order.Length - index * options.BatchSize);
            options.Progress?.Invoke(done, order.Length);
        });
        if (options.TruncateDim is not null && options.Normalize)
        {
            foreach (var e in result)
            {
                float norm = System.Numerics.Tensors.TensorPrimitives.Norm(e);
                if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(e, norm, e);
            }
        }
        return result;
    }
}
