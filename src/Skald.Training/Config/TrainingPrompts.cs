using Skald.Training.Data;
using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>
/// <c>training.prompts</c>: sentence-transformers' training prompts (<c>SentenceTransformerTrainingArguments.prompts</c>),
/// written before the texts of the training columns as its data collator does: one text for every column of every
/// data set; a mapping of column names to texts; or a mapping of data set names (<c>data.train</c> entries) to a text
/// for all their columns or to a mapping of their column names to texts. A column of lists of texts (FlagEmbedding's
/// <c>neg</c>, a listwise row's documents) is named by the list's name. Whether the keys fit the data is checked when
/// the data sets are known (<see cref="Resolve"/>).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/data_collator.py
/// (SentenceTransformerDataCollator.__call__, _get_prompt_length) and trainer.py (maybe_add_dataset_name_column).
/// </remarks>
public sealed class TrainingPrompts
{
    private readonly string? all;
    private readonly List<(string Key, string? Text, List<(string Column, string Text)>? Columns)> entries = [];

    private TrainingPrompts(string where, string? all)
    {
        Where = where;
        this.all = all;
    }

    /// <summary>Where the key was set (file:line or <c>--set training.prompts</c>), for messages.</summary>
    public string Where { get; }

    /// <summary>
    /// The prompts as written: one text for every column (<c>Text</c>), or the mapping's entries in order, each a key with
    /// its text or its column → text pairs (for the model card, which prints them as the Python value upstream holds).
    /// </summary>
    internal (string? Text, IEnumerable<(string Key, string? Text, IReadOnlyList<(string Column, string Text)>? Columns)> Entries) Written =>
        (all, entries.Select(e => (e.Key, e.Text, (IReadOnlyList<(string, string)>?)e.Columns)));

    /// <summary>A digest of the prompts as written (hex), for the run's fingerprint: a resumed run must train with the same ones.</summary>
    public string Digest()
    {
        var text = new System.Text.StringBuilder();
        void Add(string s) => text.Append(s.Length).Append(':').Append(s); // length-prefixed: no two settings read alike
        if (all is not null) Add(all);
        foreach (var (key, prompt, columns) in entries)
        {
            Add(key);
            if (prompt is not null) Add(prompt);
            foreach (var (column, t) in columns ?? []) { Add(column); Add(t); }
            text.Append(columns is null ? '.' : '}');
        }
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    /// <summary>Reads <c>training.prompts</c> from <paramref name="section"/>; null when it is absent.</summary>
    public static TrainingPrompts? Read(SectionReader section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var node = section.Node("prompts");
        if (node is null) return null;
        string where = section.Where("prompts");
        if (node is YamlScalarNode scalar) return new TrainingPrompts(where, scalar.Value ?? "");
        if (node is not YamlMappingNode map)
            throw new TrainingException($"{where}: training.prompts must be a text, a mapping of column names to texts, or a mapping of data set names (data.train entries) to either");
        var prompts = new TrainingPrompts(where, null);
        foreach (var (k, v) in map.Children)
        {
            string key = Key(k, where, "training.prompts");
            if (prompts.entries.Any(e => e.Key == key)) throw new TrainingException($"{where}: training.prompts['{key}'] is given twice");
            if (v is YamlScalarNode text && !IsNull(text))
            {
                prompts.entries.Add((key, text.Value ?? "", null));
                continue;
            }
            if (v is not YamlMappingNode inner)
                throw new TrainingException($"{where}: training.prompts['{key}'] must be a text, or (for a data set) a mapping of its column names to texts");
            var columns = new List<(string, string)>();
            foreach (var (ck, cv) in inner.Children)
            {
                string column = Key(ck, where, $"training.prompts['{key}']");
                if (columns.Any(c => c.Item1 == column)) throw new TrainingException($"{where}: training.prompts['{key}']['{column}'] is given twice");
                if (cv is not YamlScalarNode ct || IsNull(ct))
                    throw new TrainingException($"{where}: training.prompts['{key}']['{column}'] must be a text (the prompt of column '{column}')");
                columns.Add((column, ct.Value ?? ""));
            }
            prompts.entries.Add((key, null, columns));
        }
        return prompts;
    }

    /// <summary>
    /// Per training data set (in the order of <paramref name="train"/>), the prompt of each of its input columns (null:
    /// none), or null for a data set without prompts. A key that names neither a data set nor a column of one, a
    /// mapping under a name that is no data set, and data set names mixed with column names are one line naming the key.
    /// </summary>
    public IReadOnlyList<string?[]?> Resolve(IReadOnlyList<TextDataset> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (all is not null) return [.. train.Select(d => Fill(d, all))];
        var names = train.Select(d => d.Name).ToList();
        bool IsDataSet(string key) => names.Contains(key) || names.Contains(SectionReader.ExpandHome(key));
        var sets = entries.Where(e => IsDataSet(e.Key)).ToList();
        var columns = entries.Where(e => !IsDataSet(e.Key)).ToList();
        if (columns.FirstOrDefault(e => e.Columns is not null) is { Key: { } nested })
            throw new TrainingException($"{Where}: training.prompts['{nested}'] is a mapping of column prompts, which is given per data set, and '{nested}' is no data.train entry ({string.Join(", ", names)})");
        if (sets.Count > 0 && columns.Count > 0)
            throw new TrainingException($"{Where}: training.prompts names a data set ('{sets[0].Key}') and a column ('{columns[0].Key}'); give prompts either per data set or per column");
        if (sets.Count > 0)
        {
            return [.. train.Select(d =>
            {
                var entry = sets.FirstOrDefault(e => e.Key == d.Name || SectionReader.ExpandHome(e.Key) == d.Name);
                if (entry.Key is null) return null; // a data set without prompts (sentence-transformers: an empty mapping)
                if (entry.Text is not null) return Fill(d, entry.Text);
                var prompts = new string?[d.Columns.Count];
                foreach (var (column, text) in entry.Columns!)
                {
                    var at = Matching(d, column);
                    if (at.Count == 0)
                        throw new TrainingException($"{Where}: training.prompts['{entry.Key}']['{column}']: {d.Name} has no column '{column}' (its columns: {string.Join(", ", Names(d))})");
                    foreach (int c in at) prompts[c] = Text(text);
                }
                return prompts;
            })];
        }
        foreach (var (column, _, _) in columns)
        {
            if (!train.Any(d => Matching(d, column).Count > 0))
                throw new TrainingException($"{Where}: training.prompts['{column}']: no training data set has a column '{column}' (columns: {string.Join(", ", train.SelectMany(Names).Distinct())}; data sets: {string.Join(", ", names)})");
        }
        return [.. train.Select(d =>
        {
            var prompts = new string?[d.Columns.Count];
            foreach (var (column, text, _) in columns)
                foreach (int c in Matching(d, column)) prompts[c] = Text(text!);
            return prompts.Any(p => p is not null) ? prompts : null;
        })];
    }

    // sentence-transformers prepends a prompt only when it is non-empty ("if prompt:").
    private static string? Text(string text) => text.Length == 0 ? null : text;

    private static string?[]? Fill(TextDataset d, string text) => Text(text) is { } t ? [.. d.Columns.Select(_ => t)] : null;

    /// <summary>The input columns <paramref name="name"/> stands for: the column itself, or every entry (NAME[j]) of a list column.</summary>
    private static List<int> Matching(TextDataset d, string name)
    {
        var at = new List<int>();
        for (int c = 0; c < d.Columns.Count; c++)
        {
            string column = d.Columns[c];
            if (column == name || (column.StartsWith(name + "[", StringComparison.Ordinal) && column.EndsWith(']'))) at.Add(c);
        }
        return at;
    }

    /// <summary>A data set's column names as a prompt names them (a list column once, by its name).</summary>
    private static IEnumerable<string> Names(TextDataset d) =>
        d.Columns.Select(c => c.IndexOf('[', StringComparison.Ordinal) is var i and > 0 && c.EndsWith(']') ? c[..i] : c).Distinct();

    private static string Key(YamlNode k, string where, string what) => k is YamlScalarNode { Value: { Length: > 0 } s } ? s
        : throw new TrainingException($"{where}: a key of {what} is {(k is YamlScalarNode ? "empty" : "not a plain name")}; keys are column or data set names");

    private static bool IsNull(YamlScalarNode s) =>
        s.Style is not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) && s.Value is null or "~" or "null" or "";
}
