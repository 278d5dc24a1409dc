namespace Skald.Data.Ingest;

/// <summary>
/// A passage of whole sentences from one section of one document, at most the chunk budget in tokens.
/// </summary>
/// <param name="Id">Stable id: <c>d{document}-c{chunk}</c> in ingest order.</param>
/// <param name="Source">The file it comes from (for .jsonl rows, <c>file:line</c>).</param>
/// <param name="Heading">The heading of its section ("" when none).</param>
/// <param name="Start">Offset of its first character in the cleaned document text.</param>
/// <param name="End">Offset just after its last character.</param>
/// <param name="Sentences">Its sentences (spans in the cleaned document text), in order.</param>
/// <param name="SentenceTexts">The text of each sentence.</param>
/// <param name="Tokens">Its length in tokens of the counter used for chunking.</param>
public sealed record Chunk(string Id, string Source, string Heading, int Start, int End, IReadOnlyList<TextSpan> Sentences,
    IReadOnlyList<string> SentenceTexts, int Tokens)
{
    /// <summary>The sentences joined by single spaces.</summary>
    public string Text => string.Join(" ", SentenceTexts);
}
