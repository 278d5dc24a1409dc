using AngleSharp.Dom;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// The cells of an HTML table's rows by column, as the table shows them: a cell spanning columns (colspan) or rows
/// (rowspan) gives its text to each place it covers, so the cells after it stay in their columns and a row under a cell
/// merged down still names it (as pandas' <c>read_html</c> fills spanned places, pandas-dev/pandas@007e728bcf4c3af21ce9af4a3c11daada06e7892,
/// pandas/io/html.py, <c>_expand_colspan_rowspan</c>); a rowspan runs to the end of its row group at most (HTML's
/// table model: thead, tbody, tfoot, and a tr straight under a table in the implied tbody), rowspan="0" to its end. A row
/// of one cell spanning every column is that cell once (a title across the table, with no columns to keep).
/// </summary>
internal static class HtmlTableRows
{
    /// <summary>The largest colspan HTML allows.</summary>
    private const int MaxColSpan = 1000;

    /// <summary>The largest rowspan HTML allows.</summary>
    private const int MaxRowSpan = 65534;

    /// <summary>Each tr of <paramref name="group"/> (a row group, or a table) with its cells' text by column.</summary>
    public static Dictionary<IElement, List<string>> Of(IElement group)
    {
        var rows = group.Children.Where(c => c.LocalName is "tr").ToList();
        var result = new Dictionary<IElement, List<string>>(rows.Count, ReferenceEqualityComparer.Instance);
        var pending = new List<(string Text, IElement Cell, int Rows)>(); // by column: a cell from a row above still covering it
        for (int r = 0; r < rows.Count; r++)
        {
            var places = new List<(string Text, IElement Cell)>();
            int col = 0;
            void TakeSpanned()
            {
                while (col < pending.Count && pending[col].Rows > 0)
                {
                    places.Add((pending[col].Text, pending[col].Cell));
                    pending[col] = (pending[col].Text, pending[col].Cell, pending[col].Rows - 1);
                    col++;
                }
            }
            foreach (var cell in rows[r].Children.Where(c => c.LocalName is "td" or "th"))
            {
                TakeSpanned();
                int across = Span(cell, "colspan", 1, MaxColSpan), down = Span(cell, "rowspan", 0, MaxRowSpan);
                if (down == 0) down = rows.Count - r;
                string text = cell.TextContent.Trim();
                for (int k = 0; k < across; k++, col++)
                {
                    places.Add((text, cell));
                    while (pending.Count <= col) pending.Add(("", cell, 0));
                    pending[col] = (text, cell, down - 1);
                }
            }
            for (; col < pending.Count; col++) // the places after its last cell: cells from above, or empty between them
            {
                bool spanned = pending[col].Rows > 0;
                places.Add(spanned ? (pending[col].Text, pending[col].Cell) : ("", rows[r]));
                if (spanned) pending[col] = (pending[col].Text, pending[col].Cell, pending[col].Rows - 1);
            }
            result[rows[r]] = places.Count > 1 && places.TrueForAll(p => p.Cell == places[0].Cell)
                ? [places[0].Text] : [.. places.Select(p => p.Text)];
        }
        return result;
    }

    // A cell's span attribute: a whole number brought within [least, most], else 1 (as HTML reads a missing, negative or
    // unreadable one).
    private static int Span(IElement cell, string name, int least, int most) =>
        int.TryParse(cell.GetAttribute(name), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n)
            && n >= 0 ? Math.Clamp(n, least, most) : 1;
}
