using System.Globalization;

namespace Skald.Retrieval.Search;

/// <summary>
/// How hybrid search fuses BM25 and dense hits. The default (<see cref="Default"/>: convex, z-score, α = 0.3) was picked
/// by measurement on the shared Scandinavian suite with a weak and a stronger dense model (README, "Hybrid search"): it
/// stayed within 0.004 nDCG@10 of BM25 with a dense model 0.27–0.37 behind it, and gained up to 0.014 with one 0.06–0.11
/// behind, where RRF lost 0.09–0.17 and 0.01–0.03.
/// </summary>
/// <param name="Mode">Re-rank, reciprocal-rank fusion or convex combination.</param>
/// <param name="Alpha">Convex: weight of the dense side in [0, 1] (1: dense only, 0: BM25 only; Weaviate's convention).</param>
/// <param name="Normalization">Convex: how each side's scores are normalised.</param>
/// <param name="RrfK">RRF constant k (60: Cormack, Clarke and Büttcher, SIGIR 2009; Elasticsearch's and Vespa's default).</param>
/// <param name="Candidates">Hits taken from each side (BM25 top-N and exact dense top-N) before fusing their union.</param>
public sealed record FusionOptions(HybridMode Mode = HybridMode.Convex, double Alpha = 0.3,
    ScoreNormalization Normalization = ScoreNormalization.ZScore, int RrfK = 60, int Candidates = 100)
{
    /// <summary>The measured default.</summary>
    public static FusionOptions Default { get; } = new();

    /// <summary>A short description for results metadata, e.g. "rrf k=60 over top 100".</summary>
    public string Describe() => Mode switch
    {
        HybridMode.Rerank => $"rerank top {Candidates} of bm25",
        HybridMode.Convex => string.Create(CultureInfo.InvariantCulture,
            $"convex alpha={Alpha} {(Normalization == ScoreNormalization.MinMax ? "minmax" : "zscore")} over top {Candidates}"),
        _ => $"rrf k={RrfK} over top {Candidates}",
    };

    /// <summary>Parses a fusion name: rrf, convex or rerank (case-insensitive); null when it is none of them.</summary>
    public static HybridMode? ParseMode(string name) => name.ToLowerInvariant() switch
    {
        "rrf" => HybridMode.ReciprocalRankFusion,
        "convex" => HybridMode.Convex,
        "rerank" => HybridMode.Rerank,
        _ => null,
    };

    /// <summary>Parses a normalisation name: minmax or zscore; null when it is neither.</summary>
    public static ScoreNormalization? ParseNormalization(string name) => name.ToLowerInvariant() switch
    {
        "minmax" => ScoreNormalization.MinMax,
        "zscore" => ScoreNormalization.ZScore,
        _ => null,
    };
}
