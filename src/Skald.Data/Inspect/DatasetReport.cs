using System.Globalization;
using System.Text;
using Skald.Retrieval.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Data.Inspect;

/// <summary>The check a user runs before a long training run: shape, lengths, duplicates, empty cells, languages, examples.</summary>
/// <param name="Path">The file.</param>
/// <param name="Rows">Row count.</param>
/// <param name="DuplicateRows">Rows equal to an earlier row in every column.</param>
/// <param name="Columns">Per-column reports.</param>
/// <param name="Examples">Three rows (first, middle, last).</param>
/// <param name="Unit">What the lengths count ("tokens of FILE" or "words").</param>
public sealed record DatasetReport(string Path, int Rows, int DuplicateRows, IReadOnlyList<ColumnReport> Columns,
    IReadOnlyList<string?[]> Examples, string Unit)
{
    /// <summary>Histogram bucket upper bounds (a last bucket holds everything longer).</summary>
    public static readonly int[] Buckets = [8, 16, 32, 64, 128, 256, 512];

    /// <summary>A FlagEmbedding file's documents per query (null for a table).</summary>
    public GroupCounts? Groups { get; init; }

    /// <summary>Counts per bucket of <paramref name="lengths"/> (Buckets.Length + 1 entries).</summary>
    public static int[] Histogram(IReadOnlyList<int> lengths)
    {
        var h = new int[Buckets.Length + 1];
        foreach (int n in lengths)
        {
            int b = Array.FindIndex(Buckets, u => n <= u);
            h[b < 0 ? Buckets.Length : b]++;
        }
        return h;
    }

    /// <summary>A plain-text rendering (Markdown tables), as <c>skald data inspect</c> prints it.</summary>
    public string Render()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"{Path}: {Counted.Of(Rows, "row")}, {Counted.Of(Columns.Count, "column")} ({string.Join(", ", Columns.Select(x => x.Name))}), {Counted.Of(DuplicateRows, "duplicate row")}");
        if (Rows == 0) return sb.ToString(); // nothing to measure: no tables of empty rows
        if (Groups is { } g)
            sb.AppendLine(c, $"FlagEmbedding rows: positives per query {Spread(g.Positives)}, negatives per query {Spread(g.Negatives)}, teacher's scores {(g.Scores ? "yes" : "no")}");
        sb.AppendLine();
        sb.AppendLine(c, $"| column | empty | duplicates | min | median | p95 | max ({Unit}) | languages |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var col in Columns)
        {
            var sorted = col.Lengths.Order().ToArray();
            string Q(double q) => sorted.Length == 0 ? "-" : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(q * sorted.Length))].ToString(c);
            string langs = string.Join(" ", col.Languages.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {k.Value}"));
            sb.AppendLine(c, $"| {col.Name} | {col.Empty} | {col.Duplicates} | {(sorted.Length == 0 ? "-" : sorted[0].ToString(c))} | {Q(0.5)} | {Q(0.95)} | {(sorted.Length == 0 ? "-" : sorted[^1].ToString(c))} | {(col.Numeric ? "(numbers)" : langs)} |");
        }
        sb.AppendLine();
        if (Columns.Any(x => !x.Numeric)) // a histogram of lengths has a column per text column; numbers have none
        {
            var labels = Buckets.Select((u, i) => $"{(i == 0 ? 0 : Buckets[i - 1] + 1)}–{u}").Append($">{Buckets[^1]}").ToArray();
            sb.AppendLine(c, $"| length ({Unit}) | {string.Join(" | ", Columns.Where(x => !x.Numeric).Select(x => x.Name))} |");
            sb.AppendLine("|---|" + string.Concat(Columns.Where(x => !x.Numeric).Select(_ => "---|")));
            var hists = Columns.Where(x => !x.Numeric).Select(x => Histogram(x.Lengths)).ToList();
            for (int b = 0; b < labels.Length; b++)
                sb.AppendLine(c, $"| {labels[b]} | {string.Join(" | ", hists.Select(h => h[b]))} |");
            sb.AppendLine();
        }
        sb.AppendLine("examples:");
        foreach (var row in Examples)
            sb.AppendLine("  " + string.Join(" | ", Columns.Select((col, i) => $"{col.Name}: {Short(row[i])}")));
        return sb.ToString();
    }

    /// <summary>"min N, median N, max N" of <paramref name="counts"/> (median: the upper middle of an even count).</summary>
    private static string Spread(IReadOnlyList<int> counts)
    {
        var sorted = counts.Order().ToArray();
        return string.Create(CultureInfo.InvariantCulture, $"min {sorted[0]}, median {sorted[sorted.Length / 2]}, max {sorted[^1]}");
    }

    private static string Short(string? s) => s is null ? "(empty)" : s.Length <= 100 ? s : s[..97] + "...";
}
