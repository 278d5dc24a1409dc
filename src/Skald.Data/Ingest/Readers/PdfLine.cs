namespace Skald.Data.Ingest.Readers;

/// <summary>One line of a PDF page's text as the text extractor gives it, with what its letters say of its font and place.</summary>
/// <param name="Text">The line (no line break).</param>
/// <param name="Size">The median point size of its letters; 0 when not known (a blank line, a page read by OCR).</param>
/// <param name="Bold">Whether all its letters are in a bold font (<see cref="PdfPageLines.IsBold"/>); false when not known.</param>
/// <param name="Y">Where its letters lie on the page, as the share of the page's height from the top edge to the middle of
/// the line (0 at the top, 1 at the bottom); NaN when not known.</param>
/// <param name="Row">Whether it is a table's row (<see cref="PdfTables"/>), its cells joined by " | ".</param>
public readonly record struct PdfLine(string Text, double Size, bool Bold = false, double Y = double.NaN, bool Row = false);
