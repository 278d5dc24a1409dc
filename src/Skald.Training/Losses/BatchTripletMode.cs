namespace Skald.Training.Losses;

/// <summary>Which of sentence-transformers' batch triplet losses <see cref="BatchTripletLoss"/> computes.</summary>
public enum BatchTripletMode
{
    /// <summary>BatchHardTripletLoss: per anchor its farthest positive and nearest negative, relu(d_p − d_n + margin), the mean.</summary>
    Hard,

    /// <summary>BatchHardSoftMarginTripletLoss: the same triplets, log(1 + exp(d_p − d_n)), no margin.</summary>
    HardSoftMargin,

    /// <summary>
    /// BatchSemiHardTripletLoss: per (anchor, positive) the nearest negative farther than the positive (else the
    /// farthest negative), relu(d_p − d_n + margin), summed over the positive pairs' count.
    /// </summary>
    SemiHard,

    /// <summary>BatchAllTripletLoss: every valid triplet, relu(d_p − d_n + margin), summed over the positive ones' count.</summary>
    All,
}
