namespace Skald.Retrieval.Models;

/// <summary>
/// Documents embedded elsewhere (each rank of an mpirun job embedded its shard, and the rows were gathered): an index
/// builder asks for the texts in order and gets their rows back in that order, each text checked against the one that
/// was embedded for its row. Used by an index model that answers its documents from a table
/// (<see cref="MultiVectorEmbeddingModel.WithDocuments"/>, <see cref="BgeM3EmbeddingModel.WithDocuments"/>, the CLI's
/// dense one).
/// </summary>
/// <typeparam name="T">One document's row: a vector, token vectors, BGE-M3 outputs.</typeparam>
public sealed class PrecomputedDocuments<T>
{
    private readonly IReadOnlyList<string> texts;
    private readonly IReadOnlyList<T> rows;
    private int next;

    /// <summary>The rows <paramref name="rows"/> of <paramref name="texts"/>, to be asked for in this order.</summary>
    public PrecomputedDocuments(IReadOnlyList<string> texts, IReadOnlyList<T> rows)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(rows);
        if (texts.Count != rows.Count) throw new ArgumentException($"{texts.Count} texts and {rows.Count} rows", nameof(rows));
        this.texts = texts;
        this.rows = rows;
    }

    /// <summary>The rows of the next <paramref name="batch"/>.Count texts; an <see cref="InvalidOperationException"/> when they are not the texts that were embedded next.</summary>
    public T[] Next(IReadOnlyList<string> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (next + batch.Count > texts.Count)
            throw new InvalidOperationException($"the index builder asked for {batch.Count} more texts after {next} of {texts.Count} embedded documents");
        var result = new T[batch.Count];
        for (int i = 0; i < batch.Count; i++, next++)
        {
            if (!string.Equals(batch[i], texts[next], StringComparison.Ordinal))
                throw new InvalidOperationException($"the index builder asked for another text at row {next} than the ranks embedded");
            result[i] = rows[next];
        }
        return result;
    }
}
