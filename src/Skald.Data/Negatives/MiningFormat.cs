namespace Skald.Data.Negatives;

/// <summary>The shape of the mined data set (sentence-transformers' <c>output_format</c>).</summary>
public enum MiningFormat
{
    /// <summary>(anchor, positive, negative): one row per negative.</summary>
    Triplet,

    /// <summary>(anchor, positive, negative_1, …, negative_n): only rows that found all n negatives.</summary>
    NTuple,

    /// <summary>(anchor, passage, label): label 1 for each positive, 0 for each negative.</summary>
    LabeledPair,

    /// <summary>
    /// (anchor, [positive, negative_1, …], labels [1, 0, …]): one row per positive with the negatives found (at least
    /// one), the documents a list of texts: the rows the listwise cross-encoder losses train on.
    /// </summary>
    LabeledList,
}
