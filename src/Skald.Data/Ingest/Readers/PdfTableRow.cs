using UglyToad.PdfPig.Content;

namespace Skald.Data.Ingest.Readers;

/// <summary>One row of a table on a PDF page (<see cref="PdfTables"/>): its cells' text by column and the letters it is made of.</summary>
/// <param name="Cells">The cells, one for each of the table's columns left to right ("" where the row has no text).</param>
/// <param name="Letters">Its letters, to match it with the text extractor's lines (<see cref="PdfPageLines"/>).</param>
public sealed record PdfTableRow(IReadOnlyList<string> Cells, IReadOnlyList<Letter> Letters);
