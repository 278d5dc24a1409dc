using System.Text.Json;
using Skald.Training.Config;

namespace Skald.Training.Data;

/// <summary>
/// FlagEmbedding's training data (BGE, BGE-M3 fine-tuning): JSONL, one object per line,
/// <c>{"query": str, "pos": [str, ...], "neg": [str, ...], "pos_scores": [num, ...], "neg_scores": [num, ...], "prompt": str}</c>,
/// the scores and the prompt optional. A file is taken for one when its first object has <c>query</c> and a list
/// <c>pos</c> and no label column (a sentence-transformers file keeps its texts one per column, a listwise one its
/// labels beside the list): nothing else to set, and FlagEmbedding's files stay as they are. Every line must then be
/// one; any fault is one line naming the file, the line and the key. A row's <c>prompt</c> is written before its query
/// as FlagEmbedding's query_instruction_format "{}{}" joins them (no separator). Other keys are left alone as upstream
/// leaves them; those of its same-dataset batching (<c>type</c>, <c>train_group_size</c>, <c>batch_size</c>) are read
/// into <see cref="FlagEmbeddingGroups.RowKeys"/> (<see cref="SameDatasetBatches"/> reads or refuses them).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/abc/finetune/embedder/AbsDataset.py
/// and AbsArguments.py (train_group_size 8, query_instruction_format "{}{}") at the same commit.
/// </remarks>
public static class FlagEmbeddingReader
{
    /// <summary>FlagEmbedding's default <c>train_group_size</c> (AbsEmbedderDataArguments).</summary>
    public const int DefaultGroupSize = 8;

    private static readonly string[] LabelNames = ["label", "labels", "score", "scores"];

    /// <summary>Whether the first object of <paramref name="lines"/> (JSONL) is a FlagEmbedding row.</summary>
    public static bool Detect(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var first = lines.FirstOrDefault(l => !string.IsNullOrWhiteSpace(l));
        if (first is null) return false;
        try
        {
            using var doc = JsonDocument.Parse(first);
            var o = doc.RootElement;
            return o.ValueKind == JsonValueKind.Object && o.TryGetProperty("query", out _)
                && o.TryGetProperty("pos", out var pos) && pos.ValueKind == JsonValueKind.Array
                && !o.EnumerateObject().Any(p => LabelNames.Contains(p.Name));
        }
        catch (JsonException)
        {
            return false; // the ordinary reader names the line
        }
    }

    /// <summary>
    /// Whether a table (a Parquet file's <paramref name="header"/>, its columns of lists of texts
    /// <paramref name="textLists"/>) holds FlagEmbedding's rows: a <c>query</c> column, a <c>pos</c> column of lists of
    /// texts and no label column, as <see cref="Detect(IReadOnlyList{string})"/> asks of a JSONL file's first object.
    /// </summary>
    public static bool Detect(IReadOnlyList<string> header, IReadOnlySet<string> textLists)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(textLists);
        return header.Contains("query") && textLists.Contains("pos") && !header.Any(LabelNames.Contains);
    }

    /// <summary>
    /// A table's rows as the JSONL objects they stand for, one per row in order, for <see cref="Read"/>: a null cell is a
    /// missing key, a list column (<paramref name="textLists"/>, or a <paramref name="nonText"/> "list of ..." column, as
    /// <see cref="Retrieval.Data.ParquetTableReader"/> reads them: JSON array text) its array, any other cell a string.
    /// </summary>
    public static string[] JsonLines(IReadOnlyList<string> header, IReadOnlyList<(int Line, string?[] Values)> rows,
        IReadOnlySet<string> textLists, IReadOnlyDictionary<string, string> nonText)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        bool[] raw = [.. header.Select(h => textLists.Contains(h) || (nonText.TryGetValue(h, out var t) && t.StartsWith("list of", StringComparison.Ordinal)))];
        var lines = new string[rows.Count];
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        for (int r = 0; r < rows.Count; r++)
        {
            buffer.Clear();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                for (int c = 0; c < header.Count; c++)
                {
                    if (rows[r].Values[c] is not { } cell) continue;
                    if (raw[c]) { w.WritePropertyName(header[c]); w.WriteRawValue(cell); }
                    else w.WriteString(header[c], cell);
                }
                w.WriteEndObject();
            }
            lines[r] = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        return lines;
    }

    /// <summary>The groups of <paramref name="path"/>'s <paramref name="lines"/>, sampled with <paramref name="groupSize"/> documents per query.</summary>
    public static TextDataset Read(string path, IReadOnlyList<string> lines, int groupSize)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var queries = new List<string>();
        var positives = new List<string[]>();
        var negatives = new List<string[]>();
        var positiveScores = new List<float[]>();
        var negativeScores = new List<float[]>();
        var at = new List<int>();
        var rowPrompts = new List<string?>();
        var (types, rowGroupSizes, batchSizes) = (new List<string?>(), new List<int?>(), new List<int?>());
        bool? scored = null;
        for (int i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            int line = i + 1;
            string Where(string key) => $"{path}:{line}: key '{key}'";
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(lines[i]);
            }
            catch (JsonException e)
            {
                throw new TrainingException($"{path}:{line}: {Skald.Tokenizers.Serialization.JsonLineError.Describe(e, lines[i])}");
            }
            using (doc)
            {
                var o = doc.RootElement;
                if (o.ValueKind != JsonValueKind.Object)
                    throw new TrainingException($"{path}:{line}: expected a JSON object with query, pos and neg (FlagEmbedding's rows, as on the first line)");
                string? type = null;
                if (o.TryGetProperty("type", out var t) && t.ValueKind != JsonValueKind.Null)
                    type = t.ValueKind == JsonValueKind.String ? String(t, "type", Where) : throw new TrainingException($"{Where("type")} must be a string (only_1neg, symmetric_class, ...)");
                int? rowGroupSize = Positive(o, "train_group_size", Where), batchSize = Positive(o, "batch_size", Where);
                string query = Text(o, "query", Where);
                string? rowPrompt = null; // written when drawn (FlagEmbeddingInstructions.QueryText)
                if (o.TryGetProperty("prompt", out var prompt) && prompt.ValueKind != JsonValueKind.Null)
                {
                    if (prompt.ValueKind != JsonValueKind.String) throw new TrainingException($"{Where("prompt")} must be a string (the query's instruction)");
                    rowPrompt = String(prompt, "prompt", Where);
                }
                var pos = Texts(o, "pos", Where, required: true)!;
                // (a row whose type or train_group_size sets its group size is checked by SameDatasetBatches.Check)
                bool ownSize = type is "only_1neg" or "symmetric_class" || rowGroupSize is not null;
                var neg = Texts(o, "neg", Where, required: groupSize > 1 && !ownSize) ?? [];
                if (groupSize > 1 && neg.Length == 0 && !ownSize)
                    throw new TrainingException($"{Where("neg")} is empty; data.train_group_size {groupSize} draws {groupSize - 1} negatives per query (set it to 1 for positives only)");
                bool hasScores = o.TryGetProperty("pos_scores", out _) || o.TryGetProperty("neg_scores", out _);
                scored ??= hasScores;
                if (hasScores != scored)
                    throw new TrainingException($"{Where("pos_scores")}: {(hasScores ? "present here but not on" : "missing here but present on")} line {at[0]}; a teacher's scores are on every row or on none");
                if (hasScores)
                {
                    positiveScores.Add(Scores(o, "pos_scores", pos.Length, "pos", Where));
                    negativeScores.Add(groupSize > 1 || o.TryGetProperty("neg_scores", out _) ? Scores(o, "neg_scores", neg.Length, "neg", Where) : []);
                }
                queries.Add(query);
                rowPrompts.Add(rowPrompt);
                types.Add(type);
                rowGroupSizes.Add(rowGroupSize);
                batchSizes.Add(batchSize);
                positives.Add(pos);
                negatives.Add(neg);
                at.Add(line);
            }
        }
        if (queries.Count == 0) throw new TrainingException($"{path}: no data rows");
        var groups = new FlagEmbeddingGroups(groupSize, [.. queries], [.. positives], [.. negatives],
            scored == true ? [.. positiveScores] : null, scored == true ? [.. negativeScores] : null,
            [.. at.Select(l => (ulong)l)], [.. at], [.. rowPrompts], null,
            types.Any(x => x is not null) || rowGroupSizes.Any(x => x is not null) || batchSizes.Any(x => x is not null)
                ? new FlagEmbeddingRowKeys([.. types], [.. rowGroupSizes], [.. batchSizes]) : null);
        return groups.Sample(0, 0, path);
    }

    // A per-row train_group_size or batch_size: a positive integer, or null when absent.
    private static int? Positive(JsonElement o, string key, Func<string, string> where)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n > 0 ? n
            : throw new TrainingException($"{where(key)} must be a positive whole number, got {v.GetRawText()}");
    }

    // A JSON string's text; one holding a lone surrogate escape (valid JSON, no text) is one line naming the key.
    private static string String(JsonElement v, string key, Func<string, string> where) =>
        Retrieval.Data.DataFiles.TextOrNull(v) ?? throw new TrainingException($"{where(key)}: {Retrieval.Data.DataFiles.LoneSurrogate(key)}");

    private static string Text(JsonElement o, string key, Func<string, string> where)
    {
        if (!o.TryGetProperty(key, out var v)) throw new TrainingException($"{where(key)} is missing (FlagEmbedding rows have query, pos and neg)");
        if (v.ValueKind != JsonValueKind.String) throw new TrainingException($"{where(key)} must be a string");
        var s = String(v, key, where);
        if (string.IsNullOrWhiteSpace(s)) throw new TrainingException($"{where(key)} is an empty text");
        return s;
    }

    private static string[]? Texts(JsonElement o, string key, Func<string, string> where, bool required)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
            return required ? throw new TrainingException($"{where(key)} is missing (FlagEmbedding rows have query, pos and neg)") : null;
        if (v.ValueKind != JsonValueKind.Array) throw new TrainingException($"{where(key)} must be a list of texts");
        var texts = new string[v.GetArrayLength()];
        int k = 0;
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String) throw new TrainingException($"{where(key)}: entry {k} is a {e.ValueKind.ToString().ToLowerInvariant()}, not a text");
            var s = String(e, key, where);
            if (string.IsNullOrWhiteSpace(s)) throw new TrainingException($"{where(key)}: entry {k} is an empty text");
            texts[k++] = s;
        }
        if (key == "pos" && texts.Length == 0) throw new TrainingException($"{where(key)} is empty; each query needs a positive");
        return texts;
    }

    private static float[] Scores(JsonElement o, string key, int count, string texts, Func<string, string> where)
    {
        if (!o.TryGetProperty(key, out var v)) throw new TrainingException($"{where(key)} is missing (a teacher's scores come as pos_scores and neg_scores)");
        if (v.ValueKind != JsonValueKind.Array) throw new TrainingException($"{where(key)} must be a list of numbers");
        var scores = new float[v.GetArrayLength()];
        int k = 0;
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !float.IsFinite(e.GetSingle()))
                throw new TrainingException($"{where(key)}: entry {k} must be a finite number, got {e.GetRawText()}");
            scores[k++] = e.GetSingle();
        }
        if (scores.Length != count)
            throw new TrainingException($"{where(key)} has {scores.Length} scores for the {count} texts of '{texts}'");
        return scores;
    }
}
