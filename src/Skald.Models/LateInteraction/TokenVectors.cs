namespace Skald.Models.LateInteraction;

/// <summary>
/// One text's token vectors from a late-interaction model (<see cref="ColbertEncoder"/>): <see cref="Count"/> rows of
/// <see cref="Dimension"/> values, row-major, each L2-normalised, with the token id each row belongs to.
/// </summary>
public sealed class TokenVectors
{
    /// <summary>Makes token vectors of <paramref name="values"/> [<paramref name="tokenIds"/>.Length × <paramref name="dimension"/>].</summary>
    public TokenVectors(float[] values, int[] tokenIds, int dimension)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(tokenIds);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (values.Length != (long)tokenIds.Length * dimension)
            throw new ArgumentException($"{values.Length} values are not {tokenIds.Length} rows of {dimension}", nameof(values));
        Values = values;
        TokenIds = tokenIds;
        Dimension = dimension;
    }

    /// <summary>The vectors, row-major [<see cref="Count"/> × <see cref="Dimension"/>].</summary>
    public float[] Values { get; }

    /// <summary>The token id of each row (a query's expansion tokens are the mask token's).</summary>
    public int[] TokenIds { get; }

    /// <summary>Width of a vector.</summary>
    public int Dimension { get; }

    /// <summary>Number of vectors.</summary>
    public int Count => TokenIds.Length;

    /// <summary>Row <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> Row(int i) => Values.AsSpan(i * Dimension, Dimension);
}
