namespace Skald.Retrieval.Models;

/// <summary>A document of a retrieval corpus.</summary>
/// <param name="Id">Document id (BEIR <c>_id</c>).</param>
/// <param name="Title">Title, may be empty.</param>
/// <param name="Text">Body text.</param>
public sealed record CorpusDocument(string Id, string Title, string Text)
{
    /// <summary>Title and text as one string, as BEIR/MTEB feed them to models ("title text", or text alone).</summary>
    public string FullText => Title.Length == 0 ? Text : Title + " " + Text;
}
