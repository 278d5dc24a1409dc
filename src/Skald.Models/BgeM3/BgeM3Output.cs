using Skald.Models.LateInteraction;

namespace Skald.Models.BgeM3;

/// <summary>
/// One text's BGE-M3 outputs (FlagEmbedding's <c>dense_vecs</c>, <c>lexical_weights</c> and <c>colbert_vecs</c>); an
/// output that was not asked for (<see cref="BgeM3Outputs"/>) is null.
/// </summary>
/// <param name="Dense">The dense vector [hidden], at unit length.</param>
/// <param name="Sparse">The lexical weights keyed by token id (ascending), each id's largest weight over the text, all positive.</param>
/// <param name="Colbert">The ColBERT vectors, one per token after the first (<see cref="TokenVectors.TokenIds"/>), each at unit length.</param>
public sealed record BgeM3Output(float[]? Dense, SparseEmbedding? Sparse, TokenVectors? Colbert);
