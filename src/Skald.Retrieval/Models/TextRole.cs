namespace Skald.Retrieval.Models;

/// <summary>What a text is, for models that embed queries and documents differently (prompts).</summary>
public enum TextRole
{
    /// <summary>A symmetric text (STS, classification, clustering, bitext).</summary>
    Text,
    /// <summary>A search query.</summary>
    Query,
    /// <summary>A document to be retrieved.</summary>
    Document,
}
