using System.Text.Json.Serialization;
using Skald.Models.BgeM3;

namespace Skald.Retrieval.Index;

/// <summary>
/// <c>index.json</c>'s <c>bge_m3</c> object: which of BGE-M3's outputs (<see cref="BgeM3Encoder"/>) an index stores and how
/// it scores them. The dense rows lie in <c>embeddings.f32</c> as a dense index's, the lexical weights in
/// <c>embeddings.sparse</c> + <c>sparse.postings</c> as a sparse index's (keyed by token id over
/// <see cref="VocabularySize"/>), the ColBERT vectors in <c>tokens.f32</c> + <c>tokens.offsets</c> as a ColBERT index's
/// (<see cref="ColbertDimension"/> wide), all from one transformer pass per row. A search combines the stored scores as
/// <see cref="BgeM3Weights.Combine"/>; the ColBERT score is the mean over the query's vectors (<see cref="ColbertScore"/>
/// <c>mean</c>), not PyLate's sum that a <c>multi_vector: colbert</c> index uses.
/// </summary>
public sealed record BgeM3Storage
{
    /// <summary>The one ColBERT score a BGE-M3 index knows: MaxSim divided by the query's vector count.</summary>
    public const string MeanMaxSim = "mean";

    /// <summary>The stored outputs, of <c>dense</c>, <c>sparse</c> and <c>colbert</c> (in that order).</summary>
    [JsonPropertyName("outputs")] public IReadOnlyList<string> Outputs { get; init; } = [];

    /// <summary>How the ColBERT score is reduced over the query's vectors: <see cref="MeanMaxSim"/> (null without ColBERT vectors).</summary>
    [JsonPropertyName("colbert_score"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ColbertScore { get; init; }

    /// <summary>Width of a ColBERT vector (colbert_dim; 0 without ColBERT vectors).</summary>
    [JsonPropertyName("colbert_dimension")] public int ColbertDimension { get; init; }

    /// <summary>Vocabulary size the lexical weights are keyed over (0 without them).</summary>
    [JsonPropertyName("vocabulary_size")] public int VocabularySize { get; init; }

    /// <summary>The stored outputs as flags (an unknown name is an <see cref="EvaluationException"/> naming it).</summary>
    [JsonIgnore]
    public BgeM3Outputs Stored
    {
        get
        {
            BgeM3Outputs stored = 0;
            foreach (string name in Outputs)
                stored |= Parse(name) ?? throw new EvaluationException($"{IndexWriter.ManifestFile}: bge_m3.outputs names \"{name}\"; expected dense, sparse or colbert");
            return stored;
        }
    }

    /// <summary>The storage of <paramref name="outputs"/> of <paramref name="model"/>.</summary>
    public static BgeM3Storage For(BgeM3Encoder model, BgeM3Outputs outputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new BgeM3Storage
        {
            Outputs = Names(outputs),
            ColbertScore = (outputs & BgeM3Outputs.Colbert) != 0 ? MeanMaxSim : null,
            ColbertDimension = (outputs & BgeM3Outputs.Colbert) != 0 ? model.ColbertDimension : 0,
            VocabularySize = (outputs & BgeM3Outputs.Sparse) != 0 ? model.VocabularySize : 0,
        };
    }

    /// <summary>The names of <paramref name="outputs"/> in the order dense, sparse, colbert.</summary>
    public static string[] Names(BgeM3Outputs outputs) =>
        [.. new[] { BgeM3Outputs.Dense, BgeM3Outputs.Sparse, BgeM3Outputs.Colbert }.Where(o => (outputs & o) != 0).Select(o => o.ToString().ToLowerInvariant())];

    /// <summary>An output by its name (<c>dense</c>, <c>sparse</c>, <c>colbert</c>, or <c>all</c>); null for another name.</summary>
    public static BgeM3Outputs? Parse(string name) => name switch
    {
        "dense" => BgeM3Outputs.Dense,
        "sparse" => BgeM3Outputs.Sparse,
        "colbert" => BgeM3Outputs.Colbert,
        "all" => BgeM3Outputs.All,
        _ => null,
    };
}
