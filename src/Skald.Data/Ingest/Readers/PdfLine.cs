namespace Skald.Data.Ingest.Readers;

/// <summary>One line of a PDF page's text as the text extractor gives it, with the font size most of its letters have.</summary>
/// <param name="Text">The line (no line break).</param>
/// <param name="Size">The median point size of its letters; 0 when not known (a blank line, a page read by OCR).</param>
public readonly record struct PdfLine(string Text, double Size);
