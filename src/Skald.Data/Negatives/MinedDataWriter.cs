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
        if (data.Rows.Count == 0) throw new DataException($"{path}: no anchor got a negative (nothing written); widen --range-max or relax the margins");
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
}
