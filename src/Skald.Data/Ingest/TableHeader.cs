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
/// below do ("Navn: | Kari"). A table whose rows are all words is left with its header, as nothing tells it apart.
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
        for (int c = 0; c < first.Length; c++)
        {
            var column = below.Where(r => r.Length > c).Select(r => r[c]).ToArray();
            if (column.Length == 0) return true;
            bool numbers = 2 * column.Count(IsNumber) > column.Length, isNumber = IsNumber(first[c]);
            if (isNumber != numbers) return true;
            if (isNumber && Year().IsMatch(first[c].Trim()) && !column.All(v => Year().IsMatch(v.Trim()))) return true;
            number |= isNumber;
        }
        return !number;
    }

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
