using UglyToad.PdfPig.Content;

namespace Skald.Data.Ingest.Readers;

/// <summary>One row of a table on a PDF page (<see cref="PdfTables"/>): its cells' text in reading order and the letters it is made of.</summary>
/// <param name="Cells">The cells, left to right (empty ones left out).</param>
/// <param name="Letters">Its letters, to match it with the text extractor's lines (<see cref="PdfPageLines"/>).</param>
public sealed record PdfTableRow(IReadOnlyList<string> Cells, IReadOnlyList<Letter> Letters);
