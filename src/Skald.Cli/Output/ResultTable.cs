using Spectre.Console;

namespace Skald.Cli.Output;

/// <summary>
/// A small result table: drawn by Spectre.Console on a terminal; as a Markdown pipe table (plain, parseable) when the
/// output is redirected or quiet.
/// </summary>
internal sealed class ResultTable(string title, params string[] headers)
{
    private readonly List<string[]> rows = [];

    /// <summary>Appends a row (one cell per header; cells that parse as numbers are right-aligned on a terminal).</summary>
    public ResultTable Add(params string[] cells)
    {
        rows.Add(cells);
        return this;
    }

    /// <summary>Draws the table on <paramref name="console"/> when given, otherwise writes Markdown to <paramref name="plain"/>.</summary>
    public void Write(IAnsiConsole? console, TextWriter plain)
    {
        if (console is null)
        {
            plain.WriteLine(ToMarkdown());
            return;
        }
        var table = new Table { Title = new TableTitle(Markup.Escape(title)), Border = TableBorder.Rounded };
        for (int c = 0; c < headers.Length; c++)
        {
            bool numeric = rows.Count > 0 && rows.All(r => c >= r.Length || IsNumber(r[c]));
            table.AddColumn(new TableColumn(Markup.Escape(headers[c])) { Alignment = numeric ? Justify.Right : Justify.Left });
        }
        foreach (var r in rows) table.AddRow(r.Select(Markup.Escape).ToArray());
        console.Write(table);
    }

    /// <summary>The table as Markdown, with the title as a heading line.</summary>
    public string ToMarkdown()
    {
        var lines = new List<string> { title, "", "| " + string.Join(" | ", headers) + " |", "|" + string.Concat(headers.Select(_ => "---|")) };
        lines.AddRange(rows.Select(r => "| " + string.Join(" | ", r) + " |"));
        return string.Join('\n', lines);
    }

    private static bool IsNumber(string s) => s is "–" or "-" || double.TryParse(s.TrimStart('#'), System.Globalization.CultureInfo.InvariantCulture, out _);
}
