namespace Skald.Data.Ingest;

/// <summary>
/// A cleaned document: <see cref="Text"/> is its blocks (headings and paragraphs, cleaned) joined by blank lines, and
/// every offset of its chunks and sentences points into it.
/// </summary>
/// <param name="Source">The file (for a .jsonl row: <c>file:line</c>).</param>
/// <param name="Text">Cleaned text, blocks separated by "\n\n".</param>
/// <param name="Blocks">Each block's kind and [start, end) span in <see cref="Text"/>.</param>
public sealed record SourceDocument(string Source, string Text, IReadOnlyList<(BlockKind Kind, int Start, int End)> Blocks);
