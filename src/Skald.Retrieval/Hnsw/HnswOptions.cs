using Skald.Models.Modules;

namespace Skald.Retrieval.Hnsw;

/// <summary>How an index builds and searches its HNSW graph (<see cref="HnswGraph"/>), hnswlib's parameters.</summary>
public sealed record HnswOptions
{
    /// <summary>hnswlib's default <see cref="M"/>.</summary>
    public const int DefaultM = 16;

    /// <summary>hnswlib's default <see cref="EfConstruction"/>.</summary>
    public const int DefaultEfConstruction = 200;

    /// <summary>
    /// The default <see cref="EfSearch"/>: hnswlib's own default is 10, which its users raise at once; 128 finds 0.99 of
    /// the exact top 10 on the bench's clustered million in under a millisecond (64 finds 0.90 there, 1.00 at 200,000 rows).
    /// </summary>
    public const int DefaultEfSearch = 128;

    /// <summary>Links per node on the upper layers (twice as many on layer 0), 2–100: more finds more and costs memory and build time.</summary>
    public int M { get; init; } = DefaultM;

    /// <summary>Candidates kept while a node's links are chosen (at least <see cref="M"/>): more makes a better graph, slower.</summary>
    public int EfConstruction { get; init; } = DefaultEfConstruction;

    /// <summary>Candidates a search keeps by default (0: <see cref="DefaultEfSearch"/>; a search asks for at least k).</summary>
    public int EfSearch { get; init; }

    /// <summary>
    /// Whether <c>index add</c> gives the slots of the rows it drops to new rows by default (hnswlib's
    /// <c>allow_replace_deleted</c>, fixed when its index is made; kept in the index as <c>hnsw_replace_deleted</c>).
    /// </summary>
    public bool ReplaceDeleted { get; init; }

    /// <summary>Seed of the node levels (a node's level depends only on the seed and its row).</summary>
    public int Seed { get; init; } = 100;

    /// <summary>Rows inserted at once (0: every core, or one for fewer than <see cref="HnswGraph.SerialBelow"/> rows). One
    /// thread builds the same graph on every run; more threads build an equally good one that depends on timing.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// What the graph links and walks by (<see cref="HnswGraph.Similarity"/>): <see cref="SimilarityFunction.Dot"/>
    /// (the default; cosine rows at unit length), <see cref="SimilarityFunction.Euclidean"/> or
    /// <see cref="SimilarityFunction.Manhattan"/> (the raw rows' negated distance).
    /// </summary>
    public SimilarityFunction Similarity { get; init; } = SimilarityFunction.Dot;

    /// <summary>The graph similarity <paramref name="similarity"/> gives: a distance stays, cosine and dot are the inner product.</summary>
    internal static SimilarityFunction GraphSimilarity(SimilarityFunction similarity) =>
        similarity is SimilarityFunction.Euclidean or SimilarityFunction.Manhattan ? similarity : SimilarityFunction.Dot;

    /// <summary>The search default as a number.</summary>
    public int EfSearchOrDefault => EfSearch > 0 ? EfSearch : DefaultEfSearch;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range.</summary>
    public void Check()
    {
        if (M is < 2 or > 100) throw new ArgumentException($"HNSW M {M} is not in 2–100");
        if (EfConstruction < 1) throw new ArgumentException($"HNSW ef_construction {EfConstruction} is not positive");
        if (EfSearch < 0) throw new ArgumentException($"HNSW ef {EfSearch} is negative");
        if (Threads < 0) throw new ArgumentException($"HNSW threads {Threads} is negative");
    }
}
