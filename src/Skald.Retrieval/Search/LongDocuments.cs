namespace Skald.Retrieval.Search;

/// <summary>What to do with documents longer than the model's maximum length.</summary>
public enum LongDocuments
{
    /// <summary>Truncate at the model's maximum length (MTEB's behaviour).</summary>
    Truncate,
    /// <summary>Split into pieces that fit; a document's score is its best piece's.</summary>
    Chunk,
}
