using System.Text.RegularExpressions;

namespace Skald.Data.Ingest;

/// <summary>
/// Whether a table's first row is its header, which the chunker repeats above the later rows of a chunk
/// (<see cref="Chunker"/>). Every table's first row is, unless it reads as one more data row: a list of name–value pairs
/// ("Grunnbeløp | 124 028 kr" over "Minstefradrag | 46 %") has no header, and repeating its first pair would put one
/// pair's value into every chunk. The first row is data when it has the shape of the rows under it: each of its cells a
/// number where most cells of its column below are numbers and text where they are text, with at least one number
/// among them (a header names its columns in words: "Vare | Pris" over "Ost | 110 kr"; a year over a column of other
/// numbers, "Vare | 2024 | 2025", names its column too); or when its first cell ends in a colon as the first cells
/// below do ("Navn: | Kari"). An empty cell (<see cref="TableRowText.EmptyCell"/>, or one left off the row's end) takes the
/// kind of its column, as a value missing there would have had: so a list of pairs whose first value is empty
/// ("Grunnbeløp" over "Minstefradrag | 46 %") is data too, where the empty cell once read as a header's word over
/// numbers; the empty cells below are not counted in their columns' kinds. A table whose rows are all words is left with
/// its header, as nothing tells it apart; so is a first row of words whose only other cells are empty over columns of
/// words. A title row spanning a table (one cell) over pairs of names and numbers reads as such a pair and is not repeated.
/// </summary>
public static partial class TableHeader
{
    /// <summary>Whether the first of <paramref name="rows"/> (a table's rows in order, cells joined by " | ") is its header.</summary>
    public static bool FirstIsHeader(IReadOnlyList<string> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count < 2) return true;
        var cells = rows.Select(r => r.Split(TableRowText.Separator)).ToArray();
        var first = cells[0];
        var below = cells.Skip(1).ToArray();
        if (first[0].EndsWith(':') && 2 * below.Count(r => r[0].EndsWith(':')) > below.Length) return false;
        bool number = false;
        int width = Math.Max(first.Length, below.Max(r => r.Length));
        for (int c = 0; c < width; c++)
        {
            // an empty cell (TableRowText's dash, or one left off the row's end) tells nothing of its column's kind
            var column = below.Where(r => r.Length > c && !IsEmpty(r[c])).Select(r => r[c]).ToArray();
            bool empty = c >= first.Length || IsEmpty(first[c]);
            if (column.Length == 0)
            {
                if (empty) continue;
                return true;
            }
            bool numbers = 2 * column.Count(IsNumber) > column.Length, isNumber = empty ? numbers : IsNumber(first[c]);
            if (isNumber != numbers) return true;
            if (!empty && isNumber && Year().IsMatch(first[c].Trim()) && !column.All(v => Year().IsMatch(v.Trim()))) return true;
            number |= isNumber;
        }
        return !number;
    }

    // Whether a cell of a row's line is empty: the dash TableRowText writes for one (a cell holding a dash of its own reads the same).
    private static bool IsEmpty(string cell) => cell.Trim() is "" or TableRowText.EmptyCell;

    /// <summary>
    /// Whether a cell is a number: digits with their separators, spaces, a sign, a currency before them, and a short
    /// unit after ("110 kr", "3,5 %", "124 028 kr", "12.03.2025", "kr 1 200", "37,5 timer"), but not a word with a digit ("Q1").
    /// </summary>
    public static bool IsNumber(string cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        return Number().IsMatch(cell.Trim());
    }

    [GeneratedRegex(@"^[-+\u2212]?(\p{Sc}|kr\.?|nok|dkk|sek|eur|usd)?\s*[-+\u2212]?\d[\d\s.,:/%\u2013-]*\s*(\p{L}{1,7}\.?|%|\p{Sc})?$", RegexOptions.IgnoreCase)]
    private static partial Regex Number();

    [GeneratedRegex(@"^(19|20)\d\d$")]
    private static partial Regex Year();
}
