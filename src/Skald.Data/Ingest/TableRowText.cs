namespace Skald.Data.Ingest;

/// <summary>
/// A table row as one line, the same for .docx, .html, Markdown and PDF tables: its cells left to right joined by " | ",
/// an empty cell written as <see cref="EmptyCell"/> so the cells after it stay under their column's header ("Navn | Alder
/// | By" over "Kari | – | Oslo", not "Kari | Oslo"), and the empty cells at the row's end left off (nothing after them
/// moves). A dash rather than nothing between the separators: the text's clean-up makes every run of whitespace one space
/// (so "Kari |  | Oslo" would become "Kari | | Oslo", where " | " no longer parts the cells, and a row starting with an
/// empty cell would lose its first separator), while "–" is what a printed table puts in a cell with nothing in it, a
/// single punctuation token to an embedding model and no term at all to BM25.
/// </summary>
public static class TableRowText
{
    /// <summary>What an empty cell is written as in its row's line: an en dash.</summary>
    public const string EmptyCell = "\u2013";

    /// <summary>What parts a row's cells in its line.</summary>
    public const string Separator = " | ";

    /// <summary>
    /// The line of a row of <paramref name="cells"/> (left to right, one a column; blank ones empty): joined by
    /// <see cref="Separator"/>, a blank cell before the last filled one written as <see cref="EmptyCell"/>, the blank
    /// ones after it left off; null when every cell is blank (such a row is left out).
    /// </summary>
    public static string? Join(IReadOnlyList<string> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        int end = cells.Count;
        while (end > 0 && string.IsNullOrWhiteSpace(cells[end - 1])) end--;
        if (end == 0) return null;
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < end; i++)
        {
            if (i > 0) sb.Append(Separator);
            sb.Append(string.IsNullOrWhiteSpace(cells[i]) ? EmptyCell : cells[i]);
        }
        return sb.ToString();
    }
}
