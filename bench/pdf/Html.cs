using System.Text;

namespace Skald.Bench.Pdf;

/// <summary>The bench's HTML: numbered sections of generated prose, each page's with a table of prices, or without.</summary>
internal static class Html
{
    private static readonly string[] Words = ["avdeling", "lønn", "ferie", "søknad", "leder", "frist", "måned", "skjema", "kontor", "reise",
        "utlegg", "timeliste", "overtid", "tillegg", "avtale", "rutine", "bygg", "nøkkel", "kantine", "arkiv"];

    public static string Document(int pages, bool tables)
    {
        var sb = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>@page { size: A4; margin: 20mm; } " +
            "body { font-family: 'DejaVu Sans'; font-size: 10pt; } section { break-after: page; } td, th { padding: 2px 8px; text-align: left; }" +
            "</style></head><body>");
        ulong state = 42;
        string Word() => Words[(int)((state = state * 6364136223846793005UL + 1442695040888963407UL) >> 33) % Words.Length];
        string Sentence(int n) { var w = Enumerable.Range(0, n).Select(_ => Word()).ToArray(); w[0] = char.ToUpperInvariant(w[0][0]) + w[0][1..]; return string.Join(" ", w) + "."; }
        for (int p = 0; p < pages; p++)
        {
            sb.Append($"<section><h2>Kapittel {p + 1}</h2>");
            for (int k = 0; k < 4; k++) sb.Append("<p>").Append(string.Join(" ", Enumerable.Range(0, 4).Select(_ => Sentence(12)))).Append("</p>");
            sb.Append("<p>Satsene for dette kapitlet er:</p>");
            var rows = Enumerable.Range(0, 14).Select(r => new[] { Sentence(2).TrimEnd('.'), $"{100 + 7 * r + p} kr", $"{r % 5 + 1} dager", Word() }).ToList();
            if (tables)
            {
                sb.Append("<table><tr><th>Post</th><th>Sats</th><th>Frist</th><th>Merknad</th></tr>");
                foreach (var r in rows) sb.Append("<tr>").Append(string.Concat(r.Select(c => $"<td>{c}</td>"))).Append("</tr>");
                sb.Append("</table>");
            }
            else
            {
                foreach (var r in rows) sb.Append("<p>").Append(string.Join(" ", r)).Append(".</p>");
            }
            sb.Append("</section>");
        }
        return sb.Append("</body></html>").ToString();
    }

    /// <summary>Pages that are one table each, 7 pt, about 75 rows a page (a price list): the most rows a page holds.</summary>
    public static string Dense(int pages)
    {
        var sb = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>@page { size: A4; margin: 15mm; } " +
            "body { font-family: 'DejaVu Sans'; font-size: 7pt; } td, th { padding: 0 8px; text-align: left; }</style></head><body>" +
            "<p>Prisliste:</p><table><tr><th>Vare</th><th>Pris</th><th>Lager</th><th>Merknad</th></tr>");
        for (int r = 0; r < 75 * pages; r++)
            sb.Append($"<tr><td>{Words[r % Words.Length]} {Words[r / Words.Length % Words.Length]}</td><td>{100 + r % 997} kr</td><td>{r % 41}</td><td>{Words[(r * 7) % Words.Length]}</td></tr>");
        return sb.Append("</table></body></html>").ToString();
    }
}
