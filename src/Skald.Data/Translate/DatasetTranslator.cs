using Skald.Data.IO;
using Skald.Training.Data;

namespace Skald.Data.Translate;

/// <summary>
/// Translates chosen columns of a data file (any format the training reader reads) and writes JSON lines: either the
/// same rows with those columns translated, or — for parallel data such as NorSBERT's Bokmål↔Nynorsk stage — one
/// (anchor = original, positive = translation) row per translated cell. Code blocks, inline code, URLs and placeholders
/// are kept byte for byte (<see cref="ShieldedText"/>).
/// </summary>
public static class DatasetTranslator
{
    /// <summary>Translates <paramref name="columns"/> of <paramref name="input"/> with <paramref name="translate"/>; returns rows written.</summary>
    public static int Translate(string input, string output, IReadOnlyList<string> columns, Func<IReadOnlyList<string>, List<string>> translate, bool parallel)
    {
        if (!Path.GetExtension(output).Equals(".jsonl", StringComparison.OrdinalIgnoreCase)) throw new DataException($"{output}: write translations to a .jsonl file");
        var (header, rows) = DatasetReader.ReadTable(input);
        var idx = columns.Select(c => header.IndexOf(c) is var i and >= 0 ? i
            : throw new DataException($"{input}: no column '{c}' (columns: {string.Join(", ", header)})")).ToArray();
        var cells = new List<(int Row, int Col)>();
        foreach (var (r, (_, values)) in rows.Select((x, r) => (r, x)))
            foreach (int c in idx)
                if (!string.IsNullOrWhiteSpace(values[c])) cells.Add((r, c));
        var translated = ShieldedText.TranslateAll([.. cells.Select(x => rows[x.Row].Values[x.Col]!)], translate); // code and placeholders kept
        if (translated.Count != cells.Count) throw new DataException($"the translator returned {translated.Count} texts for {cells.Count}");
        if (parallel)
        {
            var pairs = cells.Select((x, i) => (rows[x.Row].Values[x.Col]!, translated[i])).Where(p => p.Item1 != p.Item2).ToList();
            AtomicOutput.WriteFile(output, s => JsonLines.Write(s, pairs, (w, p) => { w.WriteString("anchor", p.Item1); w.WriteString("positive", p.Item2); }));
            return pairs.Count;
        }
        var copy = rows.Select(r => (string?[])r.Values.Clone()).ToList();
        for (int i = 0; i < cells.Count; i++) copy[cells[i].Row][cells[i].Col] = translated[i];
        AtomicOutput.WriteFile(output, s => JsonLines.Write(s, copy, (w, values) =>
        {
            for (int c = 0; c < header.Count; c++)
            {
                if (values[c] is null) w.WriteNull(header[c]);
                else w.WriteString(header[c], values[c]);
            }
        }));
        return copy.Count;
    }
}
