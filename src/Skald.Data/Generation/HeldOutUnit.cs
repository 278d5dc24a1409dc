namespace Skald.Data.Generation;

/// <summary>What <c>skald data generate --test-fraction</c> holds out for evaluation (<c>--held-out</c>).</summary>
public enum HeldOutUnit
{
    /// <summary>
    /// Single queries: their passages stay in training through the other queries about them, so the test asks new
    /// questions about documents the model was adapted to (GPL's setting, search over your own documents).
    /// </summary>
    Queries,

    /// <summary>
    /// Whole source documents with every query about them: no held-out passage (nor an overlapping neighbour chunk)
    /// was trained on, so the test measures documents the model never saw.
    /// </summary>
    Documents,
}
