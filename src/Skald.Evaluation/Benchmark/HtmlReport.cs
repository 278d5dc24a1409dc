using System.Globalization;
using System.Net;
using System.Text;

namespace Skald.Evaluation.Benchmark;

/// <summary>
/// A self-contained HTML page (inline CSS, inline SVG bar charts drawn here, no external resources) for a
/// <see cref="BenchmarkReport"/>. A small inline script counts the bars the browser actually laid out (non-zero
/// bounding boxes) and writes the count into <c>body[data-bars-rendered]</c>, which the render test reads.
/// </summary>
public static class HtmlReport
{
    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];

    /// <summary>The page.</summary>
    public static string Render(BenchmarkReport report)
    {
        var b = report.Board;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Skald benchmark: ").Append(E(report.Suite.Name)).Append("</title>\n<style>")
          .Append("body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}table{border-collapse:collapse;margin:1em 0}")
          .Append("th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}")
          .Append("td.best{font-weight:bold;background:#eef6ee}.legend span{display:inline-block;margin-right:1em}")
          .Append(".sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}svg text{font-size:12px}</style></head>\n<body>\n");
        sb.Append("<h1>Benchmark: ").Append(E(report.Suite.Name)).Append("</h1>\n");
        if (report.Suite.Description.Length > 0) sb.Append("<p>").Append(E(report.Suite.Description)).Append("</p>\n");
        sb.Append($"<p>{report.Counts}. Main scores × 100. {E(Leaderboard.RankingRule)}</p>\n");
        sb.Append("<div class=\"legend\">");
        for (int i = 0; i < b.Models.Count; i++) sb.Append($"<span><i class=\"sw\" style=\"background:{Palette[i % Palette.Length]}\"></i>{E(b.Models[i])}</span>");
        sb.Append("</div>\n<h2>Ranking</h2>\n<table><tr><th>Model</th><th>Rank</th><th>Borda votes</th><th>Mean</th></tr>\n");
        foreach (var m in report.RankedModels)
            sb.Append($"<tr><td>{E(m)}</td><td>{b.BordaRank[m]}</td><td>{BenchmarkReport.F(b.Borda[m], 1)}</td><td>{BenchmarkReport.Pct(b.Mean(m, _ => true))}</td></tr>\n");
        sb.Append("</table>\n");
        double maxVotes = Math.Max(1e-9, b.Models.Max(m => b.Borda[m]));
        sb.Append(Chart("borda", "Borda votes", [("votes", b.Models.Select(m => (double?)b.Borda[m]).ToArray())], b.Models.Count, maxVotes, v => BenchmarkReport.F(v, 1)));
        sb.Append(Chart("types", "Mean main score per task type",
            [.. b.Types.Select(ty => (ty, b.Models.Select(m => b.Mean(m, t => t.Type == ty) * 100).ToArray()))], b.Models.Count, 100, v => BenchmarkReport.F(v, 1)));
        sb.Append(Chart("languages", "Mean main score per language",
            [.. b.Languages.Select(l => (l, b.Models.Select(m => b.Mean(m, t => Leaderboard.HasLanguage(t, l)) * 100).ToArray()))], b.Models.Count, 100, v => BenchmarkReport.F(v, 1)));
        sb.Append(Chart("tasks", "Main score per task",
            [.. b.Tasks.Select(t => (t.Task, b.Models.Select(m => b.Score(m, t.Task) * 100).ToArray()))], b.Models.Count, 100, v => BenchmarkReport.F(v, 1)));
        sb.Append("<h2>Per task</h2>\n<table><tr><th>Task</th><th>Type</th><th>Language</th>");
        foreach (var m in b.Models) sb.Append("<th>").Append(E(m)).Append("</th>");
        sb.Append("</tr>\n");
        foreach (var t in b.Tasks)
        {
            var scores = b.Models.Select(m => b.Score(m, t.Task)).ToList();
            double? best = scores.Max();
            sb.Append($"<tr><td>{E(t.Task)}</td><td>{E(t.Type)}</td><td>{E(t.Language)}</td>");
            foreach (var s in scores) sb.Append(s is not null && s == best ? "<td class=\"best\">" : "<td>").Append(BenchmarkReport.Pct(s)).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n");
        sb.Append("<script>\nwindow.addEventListener('load',function(){var n=0;document.querySelectorAll('svg rect.bar').forEach(function(r){var bb=r.getBBox();if(bb.width>0&&bb.height>0)n++;});document.body.setAttribute('data-bars-rendered',String(n));});\n</script>\n");
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>A horizontal grouped bar chart: one group per category, one bar per model.</summary>
    private static string Chart(string id, string title, IReadOnlyList<(string Category, double?[] Values)> groups, int series, double max,
        Func<double, string> label)
    {
        const int labelWidth = 190, plotWidth = 560, barHeight = 12, gap = 10, top = 28;
        int groupHeight = series * barHeight + gap;
        int height = top + groups.Count * groupHeight + 10;
        var sb = new StringBuilder();
        sb.Append($"<h2>{E(title)}</h2>\n<svg id=\"chart-{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{labelWidth + plotWidth + 70}\" height=\"{height}\" role=\"img\" aria-label=\"{E(title)}\">\n");
        sb.Append($"<line x1=\"{labelWidth}\" y1=\"{top - 6}\" x2=\"{labelWidth}\" y2=\"{height - 6}\" stroke=\"#888\"/>\n");
        for (int g = 0; g < groups.Count; g++)
        {
            int y0 = top + g * groupHeight;
            sb.Append($"<text x=\"{labelWidth - 6}\" y=\"{y0 + series * barHeight / 2 + 4}\" text-anchor=\"end\">{E(groups[g].Category)}</text>\n");
            for (int s = 0; s < series; s++)
            {
                double? v = groups[g].Values[s];
                int y = y0 + s * barHeight;
                if (v is null)
                {
                    sb.Append($"<text x=\"{labelWidth + 4}\" y=\"{y + barHeight - 2}\" fill=\"#999\">n/a</text>\n");
                    continue;
                }
                double w = Math.Max(1, Math.Min(plotWidth, v.Value / max * plotWidth));
                sb.Append($"<rect class=\"bar\" x=\"{labelWidth}\" y=\"{y}\" width=\"{N(w)}\" height=\"{barHeight - 2}\" fill=\"{Palette[s % Palette.Length]}\"><title>{E(groups[g].Category)}: {label(v.Value)}</title></rect>")
                  .Append($"<text x=\"{N(labelWidth + w + 4)}\" y=\"{y + barHeight - 2}\">{label(v.Value)}</text>\n");
            }
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string N(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
