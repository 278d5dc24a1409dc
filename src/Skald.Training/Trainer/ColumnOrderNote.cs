using Skald.Training.Data;
using Skald.Training.Losses;

namespace Skald.Training.Trainer;

/// <summary>
/// The check PyLate's <c>ColBERTCollator.maybe_warn_about_column_order</c> (sentence-transformers' collator's, copied)
/// makes of a batch's column names, as Skald's one <c>note:</c> line: the names in the file's order (label and id columns
/// included, as upstream sees them before it sets them aside) are looked up in a fixed table of usual positions
/// (anchor 0, positive 1, negative 2; question 0, answer 1; query 0, response 1; hypothesis 0, entailment 1,
/// contradiction 2); the first name of the table found at another position is noted, once per data set. Upstream logs
/// it once per tuple of names; Skald checks each training data set once before the run.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/lightonai/pylate/blob/68af0b64e90d8e85f2266eb19563c47afaf4bf99/pylate/utils/collator.py
/// (<c>maybe_warn_about_column_order</c>, called from <c>__call__</c> after <c>dataset_name</c> is removed and before the
/// label column is). Skald's data sets do not keep where a label column stood: it counts as the last column, where
/// PyLate's and sentence-transformers' rows keep it.
/// </remarks>
internal static class ColumnOrderNote
{
    // The names upstream expects at a position, in the order it checks them.
    private static readonly (string Name, int Index)[] Usual =
    [
        ("anchor", 0), ("positive", 1), ("negative", 2), ("question", 0), ("answer", 1), ("query", 0), ("response", 1),
        ("hypothesis", 0), ("entailment", 1), ("contradiction", 2),
    ];

    /// <summary>The column names of <paramref name="d"/> as upstream's collator sees them: a list column once, the label last.</summary>
    public static IReadOnlyList<string> FileOrder(TextDataset d)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (d.Groups is not null) return []; // FlagEmbedding groups: Skald draws the rows, whose columns it names itself
        var names = d.Columns.Take(d.Columns.Count - d.ListWidth).ToList();
        if (d.ListColumn is { } list) names.Add(list);
        if (d.LabelColumn is { } label) names.Add(label);
        return names;
    }

    /// <summary>The note for a ColBERT loss's training data set <paramref name="d"/>, or null when upstream would not warn.</summary>
    public static string? For(TextDataset d)
    {
        var names = FileOrder(d).ToList();
        foreach (var (name, index) in Usual)
        {
            int at = names.IndexOf(name);
            if (at < 0 || at == index) continue;
            string? anchor = names.FirstOrDefault(c => !ColbertColumns.IsId(c) && c != d.LabelColumn);
            return $"note: {d.Name}: column '{name}' is column {at + 1}, where PyLate's collator expects a column so named to be column {index + 1} " +
                $"(it warns); the loss takes the first column that is no id as the anchor, here '{anchor}', and the others by position";
        }
        return null;
    }
}
