using Skald.Retrieval.Data;
using Skald.Training.Config;
using Skald.Training.CrossEncoders;
using Skald.Training.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Training.Trainer;

/// <summary>What each <c>loss.type</c> needs of a training file's columns and labels, as one line naming the file.</summary>
public static class LossColumns
{
    /// <summary>
    /// What a margin loss (margin_mse, ce_margin_mse) needs of a row's labels when they do not match its negative columns:
    /// a margin per negative, or the scores of the positive and of each negative.
    /// </summary>
    internal static string MarginLabels(TextDataset d)
    {
        int negatives = d.Columns.Count - 2;
        return $"with {Counted.Of(negatives, "negative column")} needs {Counted.Of(negatives, "margin")} or {negatives + 1} scores " +
            $"(positive, then each negative) per row, not {d.LabelWidth}";
    }

    // The columns a ColBERT loss reads: those PyLate's collator tokenizes (Losses.ColbertColumns).
    private static int ColbertInputs(TextDataset d) => d.Columns.Count(c => !Losses.ColbertColumns.IsId(c));

    // The first row whose list of documents was padded to the longest (TextLists: "" with a NaN label), or null.
    private static int? FirstPadded(TextDataset d)
    {
        for (int i = 0; i < d.Labels!.Count; i++)
        {
            if (TextLists.IsPadding(d.Labels[i])) return i / d.LabelWidth;
        }
        return null;
    }

    /// <summary>Checks a training file has the columns its loss needs.</summary>
    public static void Check(LossSection l, TextDataset d)
    {
        string type = l.Type switch { "matryoshka" => l.MatryoshkaInner, "splade" => l.SpladeInner, "csr" => l.CsrInner, _ => l.Type };
        string have = $"the file has {d.Columns.Count} ({string.Join(", ", d.Columns)}{(d.LabelColumn is null ? "" : " + " + d.LabelColumn)})";
        string? problem = type switch
        {
            "mlm" or "mntp" when d.ListColumn is not null
                => $"masks one text column ('text' when the file has one, else the first) and reads no list of texts; '{d.ListColumn}' holds a list in each row: " +
                   "give one text a row (a 'text' column, or a .txt file of one text a line), or pick a text column with data.columns",
            _ when d.ListColumn is not null && !LossSection.ListwiseTypes.Contains(type) && type != "colbert_distillation"
                => $"reads one text per column; '{d.ListColumn}' holds lists of documents, which the listwise losses read (listnet, listmle, plistmle, lambda, ranknet)",
            "mlm" or "mntp" when d.Columns.Count < 1 => "needs a text column",
            "contrastive_tension" or "contrastive_tension_pairs" when d.Columns.Count != 1 => "needs one text column (plain sentences; set data.columns to pick one)",
            "tsdae" when d.Columns.Count is not (1 or 2) => "needs one text column (sentences, damaged each step) or (damaged, original) text columns",
            "causal_lm" when d.Columns.Count != 2 => "needs (prompt, response) rows (Alpaca or chat-style instruction data)",
            "mnrl" or "cached_mnrl" or "ce_mnrl" when d.Columns.Count < 2 => "needs (anchor, positive[, negative...]) text columns",
            "triplet" when d.Columns.Count != 3 => "needs exactly (anchor, positive, negative) text columns",
            "cosent" or "angle" when d.Columns.Count != 2 || d.Labels is null => "needs (sentence1, sentence2) text columns and a score column",
            "batch_hard_triplet" or "batch_hard_soft_margin_triplet" or "batch_semi_hard_triplet" or "batch_all_triplet" when d.Columns.Count != 1 || d.Labels is null
                => "needs one text column and a class label column (rows of a class are pulled together, other classes pushed away)",
            "batch_hard_triplet" or "batch_hard_soft_margin_triplet" or "batch_semi_hard_triplet" or "batch_all_triplet" when NotAClass(d.Labels!, null) is int row
                => $"needs whole-number class labels; {d.Where(row)} has {d.Labels![row].ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            "mega_batch_margin" when d.Columns.Count != 2 => "needs (anchor, positive) text columns (the hardest negative of each anchor is another row's positive)",
            "cosine_similarity" when d.Columns.Count != 2 || d.Labels is null => "needs (sentence1, sentence2) text columns and a score column (the target cosine similarity)",
            "softmax" when d.Columns.Count != 2 || d.Labels is null => "needs (premise, hypothesis) text columns and a class label column (0, 1, 2, ...)",
            "softmax" when NotAClass(d.Labels!, l.NumLabels) is int row
                => $"needs class labels 0 … {(l.NumLabels is int c ? (c - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : "num_labels − 1")}; {d.Where(row)} has {d.Labels![row].ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            "contrastive" or "online_contrastive" when d.Columns.Count != 2 || d.Labels is null
                => "needs (sentence1, sentence2) text columns and a label column (1 similar, 0 not)",
            "contrastive" or "online_contrastive" when NotBinary(d.Labels!) is int row
                => $"needs labels 0 or 1; {d.Where(row)} has {d.Labels![row].ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            "gist" when d.Columns.Count is not (2 or 3) => "needs (anchor, positive[, negative]) text columns",
            "mse" when d.Columns.Count < 1 => "needs a text column (the source; further columns, e.g. translations, learn the source's teacher embedding too)",
            "margin_mse" when d.Columns.Count < 3 || d.Labels is null
                => "needs (query, positive, negative[, negative...]) text columns and a label column (a teacher's margin score(q, pos) − score(q, neg), a list of them for several negatives)",
            "distill_kl" when d.Columns.Count < 3 || d.Labels is null
                => "needs (query, positive, negative[, negative...]) text columns and a label column (the teacher's scores of the positive, then of each negative)",
            "bge_m3" when d.Columns.Count < 2 => "needs (query, positive[, negative...]) text columns",
            "bge_m3" when d.Labels is not null && d.LabelWidth != d.Columns.Count - 1
                => $"with a label column reads a teacher's scores (knowledge distillation): {d.Columns.Count - 1} per row (positive, then each negative), not {d.LabelWidth}",
            "colbert_contrastive" when ColbertInputs(d) < 2
                => "needs (query, positive[, negative...]) text columns (every other row's documents are negatives too; a column whose name contains '_id' is left out, as PyLate's collator leaves it)",
            "colbert_distillation" when ColbertInputs(d) < 3 || d.Labels is null
                => "needs (query, document, document[, document...]) text columns and a label column (the teacher's score of each document; the documents may be one list column, as PyLate's; a column whose name contains '_id' is left out)",
            "colbert_distillation" when d.LabelWidth != ColbertInputs(d) - 1
                => $"with {Counted.Of(ColbertInputs(d) - 1, "document column")} needs {ColbertInputs(d) - 1} teacher scores (one per document) per row, not {d.LabelWidth}",
            "colbert_distillation" when d.ListColumn is not null && FirstPadded(d) is int row
                => $"reads the same number of documents in every row (PyLate's distillation); '{d.ListColumn}' holds fewer at {d.Where(row)} than the longest row's {d.ListWidth}",
            "distill_kl" when d.LabelWidth != d.Columns.Count - 1
                => $"with {Counted.Of(d.Columns.Count - 2, "negative column")} needs {d.Columns.Count - 1} teacher scores (positive, then each negative) per row, not {d.LabelWidth}",
            "margin_mse" when d.LabelWidth != d.Columns.Count - 2 && d.LabelWidth != d.Columns.Count - 1
                => MarginLabels(d),
            "bce" when d.LabelWidth != (l.NumLabels ?? 1)
                => $"with num_labels {l.NumLabels ?? 1} needs {Counted.Of(l.NumLabels ?? 1, "label")} per row{(l.NumLabels is > 1 ? " (a JSONL list, each in [0, 1])" : "")}, not {d.LabelWidth}",
            not ("margin_mse" or "bce" or "distill_kl" or "colbert_distillation" or "bge_m3" or "ce_margin_mse" or "listnet" or "listmle" or "plistmle" or "lambda" or "ranknet") when d.LabelWidth > 1 => $"reads one label per row, not lists of {d.LabelWidth}",
            "bce" when d.Columns.Count != 2 || d.Labels is null => "needs (query, document) text columns and a label column (1 relevant, 0 not, or a score in [0, 1])",
            "bce" when OutsideUnit(d.Labels!) is int row
                => $"needs labels in [0, 1]; {d.Where(row)} has {d.Labels![row].ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            "cross_entropy" when d.Columns.Count != 2 || d.Labels is null => "needs (sentence1, sentence2) text columns and a class label column (0, 1, 2, ...)",
            "plistmle" when l.PositionWeights is { } w && w.Count < d.Columns.Count - 1
                => $"has lists of up to {d.Columns.Count - 1} documents and loss.position_weights only {w.Count} weights (one per position)",
            "cross_entropy" when NotAClass(d.Labels!, l.NumLabels) is int row
                => $"needs class labels 0 … {(l.NumLabels is int n ? (n - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : "num_labels − 1")}; {d.Where(row)} has {d.Labels![row].ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            _ => RankingLosses.ColumnProblem(type, d),
        };
        if (problem is not null) throw new TrainingException($"{d.Name}: loss.type {type} {problem}; {have}");
    }

    /// <summary>The first label that is not a whole number in [0, numLabels) (any non-negative one when null), if any.</summary>
    private static int? NotAClass(IReadOnlyList<float> labels, int? numLabels)
    {
        for (int i = 0; i < labels.Count; i++)
        {
            float y = labels[i];
            if (!(y >= 0 && y == MathF.Floor(y) && (numLabels is not int n || y < n))) return i;
        }
        return null;
    }

    /// <summary>The first label that is neither 0 nor 1, if any.</summary>
    private static int? NotBinary(IReadOnlyList<float> labels)
    {
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] is not (0f or 1f)) return i;
        }
        return null;
    }

    /// <summary>The first label outside [0, 1] (or NaN), if any.</summary>
    private static int? OutsideUnit(IReadOnlyList<float> labels)
    {
        for (int i = 0; i < labels.Count; i++)
        {
            if (!(labels[i] >= 0 && labels[i] <= 1)) return i;
        }
        return null;
    }
}
