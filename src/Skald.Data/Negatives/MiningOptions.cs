namespace Skald.Data.Negatives;

/// <summary>
/// sentence-transformers' <c>mine_hard_negatives</c> parameters, with the same meaning (ranks are 0-based positions
/// in the candidate list after the positives are taken out).
/// </summary>
public sealed record MiningOptions
{
    /// <summary>Negatives per anchor.</summary>
    public int NumNegatives { get; init; } = 3;

    /// <summary>Skip this many of the best candidates (they may be unlabelled positives).</summary>
    public int RangeMin { get; init; }

    /// <summary>
    /// Consider candidates up to this rank. Default: RangeMin + 10·NumNegatives + the most positives of one anchor when a
    /// margin or max score is set (many get filtered), RangeMin + NumNegatives + that otherwise.
    /// </summary>
    public int? RangeMax { get; init; }

    /// <summary>Drop a candidate when score + margin &gt; the anchor's (lowest) positive score.</summary>
    public double? AbsoluteMargin { get; init; }

    /// <summary>
    /// Drop a candidate when score &gt; positive score − |positive score| · margin (sentence-transformers' threshold; for a
    /// positive score, positive · (1 − margin)). Default 0.05, NV-Retriever's TopK-PercPos (95%); sentence-transformers'
    /// default is none.
    /// </summary>
    public double? RelativeMargin { get; init; } = 0.05;

    /// <summary>Drop a candidate scoring above this.</summary>
    public double? MaxScore { get; init; }

    /// <summary>Drop a candidate scoring below this.</summary>
    public double? MinScore { get; init; }

    /// <summary>Top or random among the qualifying candidates.</summary>
    public SamplingStrategy Sampling { get; init; } = SamplingStrategy.Top;

    /// <summary>Triplets, n-tuples, labelled pairs or labelled lists.</summary>
    public MiningFormat Format { get; init; } = MiningFormat.Triplet;

    /// <summary>
    /// Triplets and n-tuples: add a <c>label</c> column, the scorer's margin score(anchor, positive) − score(anchor,
    /// negative) (a cross-encoder's, with one; for n-tuples a list, one per negative), the labels MarginMSE trains a
    /// bi-encoder on (sentence-transformers' recipe writes both scores, <c>output_scores</c>; a margin is what its loss
    /// computes from them).
    /// </summary>
    public bool Margins { get; init; }

    /// <summary>
    /// Triplets and n-tuples: add a <c>label</c> column with the scorer's scores themselves, a list: score(anchor,
    /// positive), then score(anchor, negative_j) per negative (sentence-transformers' <c>output_scores</c>), the labels
    /// DistillKLDivLoss (<c>loss.type: distill_kl</c>) and MarginMSE's score form train on. Not with <see cref="Margins"/>.
    /// Labelled lists: the labels are those scores instead of 1 and 0s (a teacher reranker's, to distil with a listwise
    /// loss such as ListNet).
    /// </summary>
    public bool Scores { get; init; }

    /// <summary>Seed of random sampling.</summary>
    public int Seed { get; init; } = 42;
}
