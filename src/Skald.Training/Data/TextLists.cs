using System.Text.Json;
using Skald.Retrieval.Data;
using Skald.Training.Config;
using Skald.Tokenizers.Serialization;

namespace Skald.Training.Data;

/// <summary>
/// Listwise rows as sentence-transformers' learning-to-rank losses read them, and as its
/// <c>mine_hard_negatives(output_format="labeled-list")</c> writes them: a query and a list of documents with a label
/// list of the same length, <c>{"query": "...", "docs": ["...", "..."], "labels": [1, 0]}</c> (JSONL arrays, or Parquet
/// lists of texts and of numbers). Lists may differ in length from row to row; the data set holds them as fixed columns
/// <c>docs[0]</c> … <c>docs[W−1]</c> (W the longest list), a shorter list padded with empty texts whose label is NaN,
/// which the listwise losses and the reranking evaluation leave out (as upstream's −inf labels do).
/// </summary>
public static class TextLists
{
    /// <summary>
    /// The data set of <paramref name="rows"/> whose input columns <paramref name="inputs"/> end with the one list
    /// column (every other input one text per row); <paramref name="labelIndex"/> is the label column, which must give
    /// each row as many numbers as its list has texts. With <paramref name="emptyTexts"/> a list may hold empty texts
    /// (PyLate's KDProcessing puts one for a document id it cannot find), which are then documents like any other.
    /// </summary>
    internal static TextDataset Build(string path, List<string> header, List<(int Line, string?[] Values)> rows, int[] inputs,
        int labelIndex, IReadOnlySet<string> lists, bool emptyTexts = false)
    {
        var listed = inputs.Where(i => lists.Contains(header[i])).ToArray();
        int listIndex = listed[0];
        if (listed.Length > 1 || inputs[^1] != listIndex)
            throw new TrainingException($"{path}: only the last text column may hold lists of texts ('{header[listIndex]}' is followed by '{header[inputs[^1]]}'; data.columns can reorder them)");
        if (labelIndex < 0)
            throw new TrainingException($"{path}: column '{header[listIndex]}' holds lists of texts, which need a 'labels' column with one number per text " +
                "(a listwise row: a query, its documents, their labels); a loss that reads one text per column (mnrl, mntp, ...) reads no list: pick its text columns with data.columns");
        string name = header[listIndex];
        var fixedInputs = inputs[..^1];
        var texts = new List<string[]>(rows.Count);
        var labels = new List<float[]>(rows.Count);
        foreach (var (line, values) in rows)
        {
            var fixedTexts = new string[fixedInputs.Length];
            for (int k = 0; k < fixedInputs.Length; k++)
            {
                string? v = values[fixedInputs[k]];
                if (string.IsNullOrWhiteSpace(v)) throw new TrainingException($"{path}:{line}: empty text in column '{header[fixedInputs[k]]}'");
                fixedTexts[k] = v;
            }
            var documents = Texts(values[listIndex], path, line, name, emptyTexts);
            var numbers = DatasetReader.Numbers(values[labelIndex], path, line, header[labelIndex]);
            if (numbers.Length != documents.Length)
                throw new TrainingException($"{path}:{line}: column '{header[labelIndex]}' has {Counted.Of(numbers.Length, "number")} for the {Counted.Of(documents.Length, "text")} of '{name}'");
            texts.Add([.. fixedTexts, .. documents]);
            labels.Add(numbers);
        }
        int width = labels.Max(l => l.Length);
        var columns = inputs[..^1].Select(i => header[i]).Concat(Enumerable.Range(0, width).Select(j => $"{name}[{j}]")).ToArray();
        var padded = new List<string[]>(texts.Count);
        var flat = new List<float>(texts.Count * width);
        for (int r = 0; r < texts.Count; r++)
        {
            var row = new string[columns.Length];
            Array.Fill(row, string.Empty);
            texts[r].CopyTo(row, 0);
            padded.Add(row);
            flat.AddRange(labels[r]);
            for (int j = labels[r].Length; j < width; j++) flat.Add(float.NaN);
        }
        return new TextDataset(path, columns, padded, flat, header[labelIndex]) { ListColumn = name };
    }

    /// <summary><paramref name="d"/>'s lists padded to <paramref name="width"/> documents (the same data set when they are that wide).</summary>
    public static TextDataset Pad(TextDataset d, int width)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (d.ListColumn is not { } name || d.ListWidth >= width) return d;
        int fixedCount = d.Columns.Count - d.ListWidth, old = d.ListWidth;
        var columns = d.Columns.Take(fixedCount).Concat(Enumerable.Range(0, width).Select(j => $"{name}[{j}]")).ToArray();
        var rows = d.Rows.Select(r =>
        {
            var row = new string[columns.Length];
            Array.Fill(row, string.Empty);
            r.CopyTo(row, 0);
            return row;
        }).ToArray();
        var labels = new float[d.Count * width];
        Array.Fill(labels, float.NaN);
        for (int i = 0; i < d.Count; i++)
            for (int j = 0; j < old; j++) labels[i * width + j] = d.Labels![i * old + j];
        return new TextDataset(d.Name, columns, rows, labels, d.LabelColumn) { ListColumn = name };
    }

    /// <summary>Whether a label marks a padded (absent) document of a listwise row.</summary>
    public static bool IsPadding(float label) => float.IsNaN(label);

    private static string[] Texts(string? json, string path, int line, string column, bool emptyTexts)
    {
        string[]? texts = null;
        if (json is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.GetArrayLength() > 0
                    && doc.RootElement.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
                    texts = [.. doc.RootElement.EnumerateArray().Select(e => Retrieval.Data.DataFiles.TextOrNull(e)
                        ?? throw new TrainingException($"{path}:{line}: {Retrieval.Data.DataFiles.LoneSurrogate(column)}"))];
            }
            catch (JsonException)
            {
            }
        }
        if (texts is null) throw new TrainingException($"{path}:{line}: column '{column}' must be a non-empty list of texts");
        if (!emptyTexts && texts.FirstOrDefault(string.IsNullOrWhiteSpace) is not null)
            throw new TrainingException($"{path}:{line}: an empty text in the list of column '{column}'");
        return texts;
    }
}
