using Skald.Data.IO;
using Skald.Training.Data;

namespace Skald.Data.Translate;

/// <summary>
/// Translates chosen columns of a data file (any format the training reader reads) and writes JSON lines: either the
/// same rows with those columns translated, or — for parallel data such as NorSBERT's Bokmål↔Nynorsk stage — one
/// (anchor = original, positive = translation) row per translated cell. Code blocks, inline code, URLs and placeholders
/// are kept byte for byte (<see cref="ShieldedText"/>). A column of lists of texts (a listwise row's documents) is
/// translated document by document and written back as a list. A Parquet column of numbers (an id, a year, a score)
/// is not text: it is never guessed as a column to translate, naming it is an error, and its values are written back
/// as JSON numbers (booleans as true/false), not as strings of digits.
/// </summary>
public static class DatasetTranslator
{
    /// <summary>Translates <paramref name="columns"/> of <paramref name="input"/> with <paramref name="translate"/>; returns rows written.</summary>
    public static int Translate(string input, string output, IReadOnlyList<string> columns, Func<IReadOnlyList<string>, List<string>> translate, bool parallel) =>
        Translate(input, output, columns, translate, parallel, out _);

    /// <summary>
    /// Translates <paramref name="columns"/> of <paramref name="input"/> with <paramref name="translate"/>; returns rows
    /// written. <paramref name="unchanged"/>: with <paramref name="parallel"/>, the texts left out because their
    /// translation is the original (no pair to learn from; a count to report, not to lose silently); else 0.
    /// </summary>
    public static int Translate(string input, string output, IReadOnlyList<string> columns, Func<IReadOnlyList<string>, List<string>> translate, bool parallel,
        out int unchanged)
    {
        unchanged = 0;
        if (!Path.GetExtension(output).Equals(".jsonl", StringComparison.OrdinalIgnoreCase)) throw new DataException($"{output}: write translations to a .jsonl file");
        var (header, rows) = DatasetReader.ReadTable(input, out var lists, out var nonText);
        if (rows.Count == 0) throw new DataException($"{input}: no data rows to translate");
        var idx = columns.Select(c => header.IndexOf(c) is var i and >= 0 ? i
            : throw new DataException($"{input}: no column '{c}' (columns: {string.Join(", ", header)})")).ToArray();
        foreach (var c in columns)
        {
            if (nonText.TryGetValue(c, out var type)) throw new DataException($"{input}: column '{c}' has type {type}, not string (only text columns are translated)");
        }
        // A column of lists of texts (listwise rows' documents) is translated document by document.
        var documents = rows.Select(r => r.Values.Select((v, c) => lists.Contains(header[c]) && v is not null ? Texts(v) : null).ToArray()).ToList();
        var cells = new List<(int Row, int Col, int Item)>();
        foreach (var (r, (_, values)) in rows.Select((x, r) => (r, x)))
            foreach (int c in idx)
            {
                if (documents[r][c] is { } list)
                {
                    for (int j = 0; j < list.Length; j++)
                        if (!string.IsNullOrWhiteSpace(list[j])) cells.Add((r, c, j));
                }
                else if (!string.IsNullOrWhiteSpace(values[c])) cells.Add((r, c, -1));
            }
        string Text((int Row, int Col, int Item) x) => x.Item < 0 ? rows[x.Row].Values[x.Col]! : documents[x.Row][x.Col]![x.Item];
        var translated = ShieldedText.TranslateAll([.. cells.Select(Text)], translate); // code and placeholders kept
        if (translated.Count != cells.Count) throw new DataException($"the translator returned {translated.Count} texts for {cells.Count}");
        if (parallel)
        {
            var pairs = cells.Select((x, i) => (Text(x), translated[i])).Where(p => p.Item1 != p.Item2).ToList();
            unchanged = cells.Count - pairs.Count;
            AtomicOutput.WriteFile(output, s => JsonLines.Write(s, pairs, (w, p) => { w.WriteString("anchor", p.Item1); w.WriteString("positive", p.Item2); }));
            return pairs.Count;
        }
        var copy = rows.Select(r => (string?[])r.Values.Clone()).ToList();
        for (int i = 0; i < cells.Count; i++)
        {
            var (row, col, item) = cells[i];
            if (item < 0) copy[row][col] = translated[i];
            else documents[row][col]![item] = translated[i];
        }
        AtomicOutput.WriteFile(output, s => JsonLines.Write(s, Enumerable.Range(0, copy.Count).ToList(), (w, r) =>
        {
            for (int c = 0; c < header.Count; c++)
            {
                if (documents[r][c] is { } list)
                {
                    w.WriteStartArray(header[c]);
                    foreach (var d in list) w.WriteStringValue(d);
                    w.WriteEndArray();
                }
                else if (copy[r][c] is null) w.WriteNull(header[c]);
                else if (nonText.TryGetValue(header[c], out var type) && type == "bool") w.WriteBoolean(header[c], copy[r][c] == "1");
                else if ((nonText.ContainsKey(header[c]) || header[c] is "label" or "labels" or "score" or "scores") && IsJsonNumberOrList(copy[r][c]!))
                {
                    w.WritePropertyName(header[c]); // a label stays a number or a list of numbers
                    w.WriteRawValue(copy[r][c]!);
                }
                else w.WriteString(header[c], copy[r][c]);
            }
        }));
        return copy.Count;
    }

    /// <summary>
    /// The columns translated when none are named: every text column of <paramref name="input"/> (lists of texts too),
    /// not labels, not ids (<see cref="IsId"/>: a BEIR file's <c>_id</c> translated no longer matches its qrels) and not
    /// a column that holds no text (a Parquet file's numbers, a JSON Lines file's id numbers or lists of ids with nulls,
    /// which went to the translator as their JSON text and came back a string); none is an error naming the file.
    /// </summary>
    public static IReadOnlyList<string> TextColumns(string input)
    {
        var header = DatasetReader.ReadTable(input, out _, out var nonText).Header;
        var texts = header.Where(h => h is not ("label" or "labels" or "score" or "scores") && !IsId(h) && !nonText.ContainsKey(h)).ToList();
        if (texts.Count == 0 && header.Count > 0)
            throw new DataException($"{input}: no text column to translate (columns: {string.Join(", ", header.Select(h => nonText.TryGetValue(h, out var t) ? $"{h} ({t})" : h))})");
        return texts;
    }

    /// <summary>
    /// Whether <paramref name="column"/> names an id or a list of ids, never translated unless named: <c>_id</c>,
    /// <c>id</c> and <c>ids</c> (BEIR, MTEB), or a name ending in <c>_id</c>, <c>-id</c>, <c>_ids</c> or <c>-ids</c>
    /// (BEIR's <c>query-id</c> and <c>corpus-id</c>, a KD row's <c>query_id</c> and <c>document_ids</c>), in any case.
    /// </summary>
    public static bool IsId(string column) =>
        column.Equals("id", StringComparison.OrdinalIgnoreCase) || column.Equals("ids", StringComparison.OrdinalIgnoreCase)
        || EndsWith(column, "_id") || EndsWith(column, "-id") || EndsWith(column, "_ids") || EndsWith(column, "-ids");

    private static bool EndsWith(string column, string suffix) => column.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);

    private static bool IsJsonNumberOrList(string cell)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(cell);
            return doc.RootElement.ValueKind is System.Text.Json.JsonValueKind.Number or System.Text.Json.JsonValueKind.Array;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static string[] Texts(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return [.. doc.RootElement.EnumerateArray().Select(e => e.ValueKind == System.Text.Json.JsonValueKind.String ? e.GetString() ?? "" : e.GetRawText())];
    }
}
