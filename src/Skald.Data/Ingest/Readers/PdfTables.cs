using System.Text.RegularExpressions;
using UglyToad.PdfPig.Content;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// Tables on a typed PDF page, found from the positions of its words (PdfPig's default word extractor,
/// <c>Page.GetWords</c>; PdfPig 0.1.16 ships no table detection: its layout analysis has page segmenters, reading
/// order, text edges and word extractors, none of which says which lines are rows): the words are grouped into
/// visual lines by their baseline, each line is cut into cells where two words lie at least <see cref="GapEms"/> of
/// the font size apart, and consecutive lines of at least two cells each, close together, whose cells fall into the
/// same column bands (no two cells of a line in one band) are a table's rows, at least <see cref="MinRows"/> of them; a
/// line close under a row (<see cref="WrapGapEms"/>) with its cells in the table's columns but none in the first is that
/// row's cells wrapped onto another line, its text joined to theirs, when it lies clearly closer to the row than the
/// rows lie to one another (<see cref="WrapPitchShare"/>), goes on in lower case, or begins each of its cells with a word
/// that would not have fitted after the row's text in that column (before the next column, or in the last within the
/// widest the column has been: a table set without padding gives no other sign); otherwise it is a row whose first
/// cell is empty. A table that runs to the bottom of a page (nothing under it but footer lines and footnotes) goes on at
/// the top of the next with as little as one row whose cells fall into its columns (<see cref="PdfTableColumns"/>); one
/// under a single line in its own size (a "continued" note) goes on with two rows or more that fill all of its columns.
/// Conservatively: a block whose first cells are list markers ("•", "1.", "a)") is a list, and one whose cells read as
/// running text (no column of short cells, at most <see cref="ShortCellWords"/> words in its median cell, or more than
/// <see cref="MaxMeanCellWords"/> words a cell on average) is prose set in columns; neither is a table.
/// </summary>
public static partial class PdfTables
{
    /// <summary>The smallest gap between two words, in font sizes (ems), that separates two cells: a space is about a
    /// quarter of one, Word's default cell margins (0.08 inch a side) leave 0.96 between cells of 12 pt text.</summary>
    public const double GapEms = 0.8;

    /// <summary>The fewest rows a table has.</summary>
    public const int MinRows = 2;

    /// <summary>The most words the median cell of a table's shortest column has (a label or a number column).</summary>
    public const int ShortCellWords = 3;

    /// <summary>The most words a table's cells have on average (prose set in columns has more).</summary>
    public const double MaxMeanCellWords = 6;

    /// <summary>The largest distance between two rows' baselines, in font sizes.</summary>
    public const double RowGapEms = 4;

    /// <summary>The tables of <paramref name="page"/>, each its rows from the top.</summary>
    public static List<List<PdfTableRow>> Find(Page page) => Find(page, null, out _);

    /// <summary>
    /// The tables of <paramref name="page"/>, each its rows from the top; the first, when <paramref name="above"/> (the
    /// columns of a table that ran to the bottom of the page before) is given, may be a single row at the top of the
    /// page whose cells fall into those columns: the table going on. <paramref name="open"/> says the same of this page:
    /// the columns of its last table when nothing but the page's foot lies below it: footer lines (in the bottom
    /// <see cref="MarginShare"/> of the page) and footnotes (in a font at most <see cref="FootnoteSize"/> of the table's,
    /// in the bottom <see cref="FootnoteShare"/>); null otherwise.
    /// </summary>
    public static List<List<PdfTableRow>> Find(Page page, PdfTableColumns? above, out PdfTableColumns? open) => Find(page, above, out open, out _);

    /// <summary>
    /// As <see cref="Find(Page, PdfTableColumns?, out PdfTableColumns?)"/>; <paramref name="wentOn"/> says whether the
    /// first table is the one of <paramref name="above"/> going on. A table with one line in its own size under it (a
    /// "continued" note) above the page's foot is open too (<see cref="PdfTableColumns.AfterNote"/>), but goes on only
    /// with <see cref="MinRows"/> rows or more at the top of the next page that fill all of its columns.
    /// </summary>
    public static List<List<PdfTableRow>> Find(Page page, PdfTableColumns? above, out PdfTableColumns? open, out bool wentOn)
    {
        ArgumentNullException.ThrowIfNull(page);
        wentOn = false;
        var lines = VisualLines(page.GetWords().Where(w => !string.IsNullOrWhiteSpace(w.Text)));
        var tables = new List<List<PdfTableRow>>();
        int top = 0; // the page's first line below a running header (lines of one cell in the top margin)
        while (top < lines.Count && lines[top].Cells.Count == 1 && lines[top].Baseline >= (1 - MarginShare) * page.Height) top++;
        (int End, List<(double Left, double Right)> Bands, double? Pitch)? last = null;
        for (int i = 0; i < lines.Count;)
        {
            if (i == top && above is not null && GoesOn(lines, i, above) is { } run)
            {
                tables.Add(Rows(lines, run.Starts, run.End, [.. above.Bands]));
                wentOn = true;
                last = (run.End, [.. above.Bands], RowPitch(lines, run.Starts) ?? above.Pitch);
                i = run.End;
                continue;
            }
            if (lines[i].Cells.Count < 2)
            {
                i++;
                continue;
            }
            if (Widen([], lines, i, i) is not { } bands) // the columns of lines [i, end), widened a line at a time (linear in the rows)
            {
                i++;
                continue;
            }
            var starts = new List<int> { i }; // the lines that start a row; the others continue the row above (wrapped cells)
            int end = i + 1;
            while (end < lines.Count && Close(lines, end) && Widen(bands, lines, i, end) is { } wider)
            {
                if (!Wraps(lines, end, bands, starts, null))
                {
                    if (lines[end].Cells.Count < 2) break;
                    starts.Add(end);
                }
                bands = wider;
                end++;
            }
            if (starts.Count >= MinRows && IsTable([.. starts.Select(k => lines[k])], lines.Skip(i).Take(end - i), bands))
            {
                tables.Add(Rows(lines, starts, end, bands));
                last = (end, bands, RowPitch(lines, starts));
            }
            i = end;
        }
        open = null;
        if (last is { } l)
        {
            double em = lines[l.End - 1].Em;
            int note = l.End < lines.Count && IsNote(lines[l.End], em) && !Foot(lines[l.End], em, page.Height) ? 1 : 0;
            if (lines.Skip(l.End + note).All(x => Foot(x, em, page.Height))) open = new PdfTableColumns(l.Bands, l.Pitch, note == 1);
        }
        return tables;
    }

    // Whether a line under a table (of font size `em`) may be a note on it ("(fortsetter)", "continued on next page"): one
    // cell, in the table's own size (neither a footnote's smaller print nor a heading's larger).
    private static bool IsNote(Line line, double em) => line.Cells.Count == 1 && line.Em > FootnoteSize * em && line.Em < em / FootnoteSize;

    /// <summary>The share of a page's height at its top and bottom where a running header or footer line may lie.</summary>
    public const double MarginShare = 0.12;

    /// <summary>The share of a page's height at its bottom where a footnote under a table that goes on may lie.</summary>
    public const double FootnoteShare = 0.25;

    /// <summary>How much smaller than a table's text a footnote's font is, at least (as a share of the table's size).</summary>
    public const double FootnoteSize = 0.9;

    // Whether a line under a page's last table (of font size `em`) is the page's foot, which lets the table go on at the
    // top of the next page: a footer line in the bottom margin (one cell, or more: "Personalhåndbok    Side 1" set at tab
    // stops), or a footnote: in a clearly smaller font than the table's, in the bottom FootnoteShare of the page. A line
    // in the table's own size above the margin is text after the table: a note on it (IsNote) when it is the only one,
    // after which the table goes on only with rows that are clearly its own; otherwise the table ended there.
    private static bool Foot(Line line, double em, double height) =>
        line.Baseline <= MarginShare * height || (line.Em <= FootnoteSize * em && line.Baseline <= FootnoteShare * height);

    // The rows of lines [starts[0], end): each row its start line and the wrapped lines under it, cells by column (a
    // column with no text in the row an empty cell).
    private static List<PdfTableRow> Rows(List<Line> lines, List<int> starts, int end, List<(double Left, double Right)> bands) =>
        [.. starts.Select((k, n) =>
        {
            var row = lines.Skip(k).Take((n + 1 < starts.Count ? starts[n + 1] : end) - k).ToList();
            return new PdfTableRow([.. bands.Select(b => string.Join(" ", row.SelectMany(l => l.Cells.Where(c => Overlaps(c, b))).Select(c => c.Text)))],
                [.. row.SelectMany(l => l.Cells).SelectMany(c => c.Letters)]);
        })];

    // Whether line `at` is close enough under the line above to be the same table's.
    private static bool Close(List<Line> lines, int at) =>
        lines[at - 1].Baseline - lines[at].Baseline <= RowGapEms * Math.Max(lines[at - 1].Em, lines[at].Em);

    // The rows from line `start` that go on with the table above the page break: lines close together whose cells each
    // fall into one of its columns (no two into one), rows of two cells or more, wrapped lines as Wraps says; null when the
    // line at `start` is no such row.
    private static (List<int> Starts, int End)? GoesOn(List<Line> lines, int start, PdfTableColumns above)
    {
        List<(double Left, double Right)> bands = [.. above.Bands];
        if (lines[start].Cells.Count < 2 || !Aligned(lines[start], bands)) return null;
        var starts = new List<int> { start };
        int end = start + 1;
        while (end < lines.Count && Close(lines, end) && Aligned(lines[end], bands))
        {
            if (!Wraps(lines, end, bands, starts, above.Pitch))
            {
                if (lines[end].Cells.Count < 2) break;
                starts.Add(end);
            }
            end++;
        }
        if (above.AfterNote && (starts.Count < MinRows || !Fills(lines, start, end, bands))) return null;
        return (starts, end);
    }

    // Whether lines [start, end) have text in every one of the columns.
    private static bool Fills(List<Line> lines, int start, int end, List<(double Left, double Right)> bands) =>
        bands.All(b => lines.Skip(start).Take(end - start).Any(l => l.Cells.Any(c => Overlaps(c, b))));

    // Whether each of a line's cells falls into exactly one of the columns, and no two into one.
    private static bool Aligned(Line line, List<(double Left, double Right)> bands) =>
        line.Cells.All(c => bands.Count(b => Overlaps(c, b)) == 1) && bands.All(b => line.Cells.Count(c => Overlaps(c, b)) <= 1);

    /// <summary>The largest distance between the baselines of a cell's wrapped lines, in font sizes.</summary>
    public const double WrapGapEms = 1.6;

    /// <summary>
    /// How much closer than the table's rows a line under a row lies when it is that row's cells wrapped (rows are set
    /// apart by their cells' padding, a cell's lines are not): less than this share of the distance between rows.
    /// </summary>
    public const double WrapPitchShare = 0.9;

    // Whether line `at` continues the row above it (a cell's text wrapped onto another line) rather than starting a row
    // whose first cell is empty: close below it, its cells in the columns `bands` but none in the first, and either
    // clearly closer than the table's rows lie (the median distance between the rows `starts`, else `pitch` when given,
    // when known) or, as far apart as rows, its cells' text going on in lower case (a table set without padding gives no
    // other sign).
    private static bool Wraps(List<Line> lines, int at, List<(double Left, double Right)> bands, List<int> starts, double? pitch)
    {
        double gap = lines[at - 1].Baseline - lines[at].Baseline;
        if (gap > WrapGapEms * Math.Max(lines[at - 1].Em, lines[at].Em) || lines[at].Cells.Any(c => Overlaps(c, bands[0]))
            || !lines[at].Cells.All(c => bands.Count(b => Overlaps(c, b)) == 1)) return false;
        return (RowPitch(lines, starts) ?? pitch) is not { } p || gap < WrapPitchShare * p || lines[at].Cells.All(c => char.IsLower(c.Text[0]))
            || lines[at].Cells.All(c => WouldNotFit(lines[at - 1], c, bands));
    }

    // Whether cell `c`'s first word would not have fitted on the line above, after that line's cell in c's column: past
    // the next column's start, or, in the last column, past the widest extent the column has had (a table's width is
    // nowhere written). Text wraps only when its next word does not fit, so a cell wrapped onto the line has such a
    // first word; a row of its own under a row whose first cell is empty has words that would have fitted ("Bodø" after
    // "Bergen").
    private static bool WouldNotFit(Line above, Cell c, List<(double Left, double Right)> bands)
    {
        int k = bands.FindIndex(b => Overlaps(c, b));
        if (above.Cells.FirstOrDefault(x => Overlaps(x, bands[k])) is not { } before) return false;
        double limit = k + 1 < bands.Count ? bands[k + 1].Left : bands[k].Right;
        return before.Right + SpaceEms * above.Em + c.FirstWordWidth > limit;
    }

    /// <summary>The width of a space, in font sizes (about a quarter of one in common text fonts).</summary>
    public const double SpaceEms = 0.25;

    // The median distance between the baselines of a table's rows that follow one another with no wrapped line between
    // (rows `starts`); null when there are none.
    private static double? RowPitch(List<Line> lines, List<int> starts)
    {
        var gaps = new List<double>();
        for (int k = 1; k < starts.Count; k++)
        {
            if (starts[k] == starts[k - 1] + 1) gaps.Add(lines[starts[k - 1]].Baseline - lines[starts[k]].Baseline);
        }
        if (gaps.Count == 0) return null;
        gaps.Sort();
        return gaps[gaps.Count / 2];
    }

    // A cell: its words' text, its left and right edges, its letters, the width of its first word.
    private sealed record Cell(string Text, double Left, double Right, IReadOnlyList<Letter> Letters, double FirstWordWidth);

    // A visual line: its baseline (from the page's bottom), its font size, its cells left to right.
    private sealed record Line(double Baseline, double Em, List<Cell> Cells);

    private static List<Line> VisualLines(IEnumerable<Word> words)
    {
        var byLine = new List<(double Baseline, double Em, List<Word> Words)>();
        foreach (var w in words.OrderByDescending(w => w.Letters[0].StartBaseLine.Y).ThenBy(w => w.BoundingBox.Left))
        {
            double y = w.Letters[0].StartBaseLine.Y, em = Em(w);
            if (byLine.Count > 0 && Math.Abs(byLine[^1].Baseline - y) <= 0.3 * Math.Max(em, byLine[^1].Em))
                byLine[^1].Words.Add(w);
            else byLine.Add((y, em, [w]));
        }
        var lines = new List<Line>(byLine.Count);
        foreach (var (baseline, em, lineWords) in byLine)
        {
            lineWords.Sort((a, b) => a.BoundingBox.Left.CompareTo(b.BoundingBox.Left));
            var cells = new List<Cell>();
            var current = new List<Word> { lineWords[0] };
            for (int k = 1; k <= lineWords.Count; k++)
            {
                if (k < lineWords.Count && lineWords[k].BoundingBox.Left - current[^1].BoundingBox.Right < GapEms * Math.Max(em, Em(lineWords[k])))
                {
                    current.Add(lineWords[k]);
                    continue;
                }
                cells.Add(new Cell(string.Join(" ", current.Select(x => x.Text)), current[0].BoundingBox.Left, current[^1].BoundingBox.Right,
                    [.. current.SelectMany(x => x.Letters)], current[0].BoundingBox.Width));
                if (k < lineWords.Count) current = [lineWords[k]];
            }
            lines.Add(new Line(baseline, em, cells));
        }
        return lines;
    }

    // A word's font size: its letters' largest point size, or its height when the size is not known.
    private static double Em(Word w)
    {
        double size = w.Letters.Max(l => l.PointSize);
        return size > 0 ? size : Math.Max(1, w.BoundingBox.Height);
    }

    // The column bands of lines [start, at]: `bands`, those of lines [start, at), widened by line `at`'s cells (the union
    // of all their spans, left to right); null when two cells of one line fall into one band (the lines' columns do not
    // line up). Only a cell that joins two bands can put an earlier line's two cells into one, so the earlier lines are
    // checked again only then.
    private static List<(double Left, double Right)>? Widen(List<(double Left, double Right)> bands, List<Line> lines, int start, int at)
    {
        var cells = lines[at].Cells; // left to right, as the bands are
        var wider = new List<(double Left, double Right)>(bands.Count + cells.Count);
        bool joined = false;
        int inLast = 0; // how many of `bands` the last band of `wider` holds
        for (int k = 0, c = 0; k < bands.Count || c < cells.Count;)
        {
            bool band = c == cells.Count || (k < bands.Count && bands[k].Left <= cells[c].Left);
            var span = band ? bands[k++] : (cells[c].Left, cells[c++].Right);
            if (wider.Count > 0 && span.Left <= wider[^1].Right)
            {
                wider[^1] = (wider[^1].Left, Math.Max(wider[^1].Right, span.Right));
                if (band && ++inLast > 1) joined = true;
            }
            else
            {
                wider.Add(span);
                inLast = band ? 1 : 0;
            }
        }
        for (int i = joined ? start : at; i <= at; i++)
        {
            foreach (var b in wider)
            {
                if (lines[i].Cells.Count(c => Overlaps(c, b)) > 1) return null;
            }
        }
        return wider;
    }

    private static bool Overlaps(Cell c, (double Left, double Right) band) => c.Left <= band.Right && c.Right >= band.Left;

    // Whether aligned lines are a table: not a list (the rows' first cells markers), not prose set in columns (judged by
    // all the lines' cells, wrapped ones too).
    private static bool IsTable(List<Line> rows, IEnumerable<Line> lines, List<(double Left, double Right)> bands)
    {
        if (rows.Count(r => ListMarker().IsMatch(r.Cells[0].Text)) * 2 >= rows.Count) return false;
        var cells = lines.SelectMany(l => l.Cells).ToList();
        if (cells.Average(c => c.Text.Split(' ').Length) > MaxMeanCellWords) return false;
        int shortest = bands.Min(b =>
        {
            var counts = cells.Where(c => Overlaps(c, b)).Select(c => c.Text.Split(' ').Length).Order().ToList();
            return counts.Count == 0 ? int.MaxValue : counts[(counts.Count - 1) / 2];
        });
        return shortest <= ShortCellWords;
    }

    // A list item's marker: a bullet or dash, or a number or letter (arabic, roman) followed by "." or ")".
    [GeneratedRegex(@"^([•·▪◦‣∙*\-–—]|\(?(\d{1,3}|[a-zA-Z]|[ivxIVX]{1,5})[.)])$")]
    private static partial Regex ListMarker();
}
