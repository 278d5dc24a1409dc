using Skald.Data.IO;

namespace Skald.Data.Negatives;

/// <summary>Writes mined data as JSON lines (one object per row; a <c>label</c> / <c>score</c> column as a number (1 / 0, a margin, a score) or a list, <c>scores</c> as a list; the labeled-list format's documents as a list of texts), atomically.</summary>
public static class MinedDataWriter
{
    /// <summary>Writes <paramref name="data"/> to <paramref name="path"/> (.jsonl).</summary>
    public static void Write(MinedData data, string path)
    {
        if (!Path.GetExtension(path).Equals(".jsonl", StringComparison.OrdinalIgnoreCase))
            throw new DataException($"{path}: write mined data to a .jsonl file");
        if (data.Rows.Count == 0) throw new DataException(NothingMined(data, path));
        AtomicOutput.WriteFile(path, s => JsonLines.Write(s, data.Rows, (w, row) =>
        {
            for (int c = 0; c < data.Columns.Count; c++)
            {
                if ((data.Columns[c] is "label" or "labels" or "score" or "scores" && row[c].StartsWith('[')) || data.Columns[c] == data.ListColumn)
                {
                    w.WritePropertyName(data.Columns[c]);
                    w.WriteRawValue(row[c]);
                }
                else if (data.Columns[c] is "label" or "score") w.WriteNumber(data.Columns[c], float.Parse(row[c], System.Globalization.CultureInfo.InvariantCulture));
                else w.WriteString(data.Columns[c], row[c]);
            }
        }));
    }

    /// <summary>
    /// The line for a run that mined nothing: the candidate depth, what each rule removed, and, when the relative margin
    /// removed candidates, that it is on unless turned off (0.05, NV-Retriever's; sentence-transformers has no margin by
    /// default), so a sentence-transformers user sees why its defaults mined something here and nothing.
    /// </summary>
    private static string NothingMined(MinedData data, string path)
    {
        string removed = data.Removed.Count == 0 ? "none"
            : string.Join(", ", data.Removed.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Value} by {k.Key}"));
        string margin = data.Removed.ContainsKey("relative_margin")
            ? " (the relative margin is 0.05 unless set, where sentence-transformers has none: --relative-margin none, a stage's relative_margin: none)"
            : "";
        return $"{path}: no anchor got a negative (nothing written; candidates up to rank {data.RangeMax}, removed: {removed}); widen --range-max or relax the margins{margin}";
    }
}
