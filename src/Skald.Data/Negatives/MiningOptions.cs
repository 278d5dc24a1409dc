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
    /// Drop a candidate when score &gt; positive score − |positive score| · margin (sentence-transformers' threshold since
    /// its #3821; for a positive score, positive · (1 − margin), the threshold before it). Default 0.05, NV-Retriever's TopK-PercPos (95%); sentence-transformers'
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
    /// Add the scorer's scores (sentence-transformers' <c>output_scores</c>, its columns): triplets a <c>scores</c>
    /// column [score(anchor, positive), score(anchor, negative)]; n-tuples <c>scores</c> [positive, negative_1, …], the
    /// labels DistillKLDivLoss (<c>loss.type: distill_kl</c>) and MarginMSE's score form train on; labelled pairs a
    /// <c>score</c> column in place of the 1 / 0 <c>label</c>; labelled lists <c>scores</c> in place of <c>labels</c> (a
    /// teacher reranker's, to distil with a listwise loss such as ListNet). Not with <see cref="Margins"/>.
    /// </summary>
    public bool Scores { get; init; }

    /// <summary>
    /// Leave each query's positives among its candidates (sentence-transformers' <c>include_positives</c>): the n-tuple
    /// rows are then the first stage's ranking, positives where they fall, e.g. for a reranking evaluation set. Only with
    /// the n-tuple format; the margins and score limits still apply to the positives.
    /// </summary>
    public bool IncludePositives { get; init; }

    /// <summary>
    /// Seed of random sampling: the negatives Python's <c>random.seed(Seed)</c> before sentence-transformers'
    /// <c>mine_hard_negatives</c> draws (<see cref="PythonRandom"/>).
    /// </summary>
    public int Seed { get; init; } = 42;
}
