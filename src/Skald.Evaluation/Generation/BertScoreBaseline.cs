using System.Globalization;
using Skald.Models;

namespace Skald.Evaluation.Generation;

/// <summary>
/// A BERTScore baseline (bert_score's rescale_baseline files: a CSV with columns <c>LAYER,P,R,F</c>, one row per layer):
/// the expected score of unrelated text pairs. Rescaling maps x to (x − b) / (1 − b) for P, R and F each, with the row of
/// the layer scored, so unrelated pairs land near 0 (bert_score's score(..., rescale_with_baseline=True)).
/// </summary>
/// <param name="Precision">b for P.</param>
/// <param name="Recall">b for R.</param>
/// <param name="F">b for F.</param>
public sealed record BertScoreBaseline(double Precision, double Recall, double F)
{
    /// <summary>Reads the row of <paramref name="layer"/> from <paramref name="path"/>; a bad file is one line naming it.</summary>
    public static BertScoreBaseline Read(string path, int layer)
    {
        if (Directory.Exists(path)) throw new ModelFormatException($"{path}: is a folder, expected a BERTScore baseline CSV file");
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"{path}: cannot read the BERTScore baseline ({e.Message})");
        }
        if (lines.Length == 0) throw new ModelFormatException($"{path}: empty BERTScore baseline file (expected a LAYER,P,R,F header)");
        var header = lines[0].Split(',').Select(h => h.Trim()).ToList();
        int[] cols = [.. new[] { "LAYER", "P", "R", "F" }.Select(h => header.IndexOf(h))];
        if (cols.Any(c => c < 0)) throw new ModelFormatException($"{path}:1: a BERTScore baseline needs the columns LAYER,P,R,F");
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            var f = lines[i].Split(',');
            // a row cut short was skipped, and its layer then reported as having no row at all
            if (f.Length < header.Count) throw new ModelFormatException($"{path}:{i + 1}: {f.Length} fields, the header has {header.Count} ({string.Join(",", header)})");
            if (!int.TryParse(f[cols[0]].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int l) || l != layer) continue;
            // b is the score of unrelated pairs, below 1: rescaling divides by 1 − b (1 gave infinite scores, NaN NaN ones)
            double V(int c) => double.TryParse(f[c].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v < 1 ? v
                : throw new ModelFormatException($"{path}:{i + 1}: {header[c]} '{f[c].Trim()}' must be a number below 1 (rescaling divides by 1 − it)");
            return new BertScoreBaseline(V(cols[1]), V(cols[2]), V(cols[3]));
        }
        throw new ModelFormatException($"{path}: no row for layer {layer}");
    }

    /// <summary><paramref name="s"/> rescaled.</summary>
    public PrfScore Rescale(PrfScore s) =>
        new((s.Precision - Precision) / (1 - Precision), (s.Recall - Recall) / (1 - Recall), (s.F - F) / (1 - F));
}
