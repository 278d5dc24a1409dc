using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Models.LateInteraction;

namespace Skald.Retrieval.Index;

/// <summary>
/// An <see cref="IndexChange"/> with its records already embedded, as the index it was decided against stores rows
/// (<see cref="IndexBuilder.Update"/> with <c>lockOnlyToWrite</c>): one of <see cref="Dense"/> (with a late-interaction
/// model's <see cref="Tokens"/>), <see cref="Sparse"/> or <see cref="BgeM3"/> is set, one entry per record.
/// </summary>
/// <param name="Change">The change decided.</param>
internal sealed record EmbeddedChange(IndexChange Change)
{
    /// <summary>Dense rows (a late-interaction model's token-vector means).</summary>
    public float[][]? Dense { get; init; }

    /// <summary>A late-interaction model's token vectors.</summary>
    public TokenVectors[]? Tokens { get; init; }

    /// <summary>A sparse encoder's rows.</summary>
    public SparseEmbedding[]? Sparse { get; init; }

    /// <summary>A BGE-M3 index's outputs.</summary>
    public BgeM3Output[]? BgeM3 { get; init; }
}
