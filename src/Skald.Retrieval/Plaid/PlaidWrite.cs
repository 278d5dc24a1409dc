using Skald.Retrieval.Index;

namespace Skald.Retrieval.Plaid;

/// <summary>
/// What <see cref="IndexWriter.Write"/> needs to write a PLAID index's token files: the <see cref="Codec"/> that codes
/// the fresh rows' vectors and, for <c>index add</c>, the old index's coded rows and for each row written the old row
/// whose codes it copies as they are, or the next fresh row, coded with the same centroids (as ColBERTv2's index
/// updater appends passages without retraining).
/// </summary>
public sealed class PlaidWrite
{
    /// <summary>Every row fresh, coded with <paramref name="codec"/>.</summary>
    public PlaidWrite(ResidualCodec codec) => Codec = codec ?? throw new ArgumentNullException(nameof(codec));

    /// <summary>Rows of <paramref name="old"/> kept (<paramref name="kept"/>[i] ≥ 0: row i copies that old row's codes; −1: the next fresh row).</summary>
    internal PlaidWrite(ResidualCodec codec, MappedTokenRows old, IReadOnlyList<int> kept) : this(codec) => (Old, Kept) = (old, kept);

    /// <summary>The codec.</summary>
    public ResidualCodec Codec { get; }

    /// <summary>The old index's coded rows (null: every row fresh).</summary>
    internal MappedTokenRows? Old { get; }

    /// <summary>Per row written, the old row it copies or −1.</summary>
    internal IReadOnlyList<int>? Kept { get; }
}
