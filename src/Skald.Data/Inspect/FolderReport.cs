using System.Globalization;
using System.Text;
using Skald.Training.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Data.Inspect;

/// <summary>
/// What <c>skald data inspect</c> says of a FlagEmbedding training folder: each <c>.json</c> / <c>.jsonl</c> file's rows
/// and what <c>data.small_threshold</c> / <c>data.drop_threshold</c> make of it, as training's
/// <see cref="FlagEmbeddingFolder.Files"/> decides.
/// </summary>
/// <param name="Path">The folder.</param>
/// <param name="Files">Its data files in the order training reads them.</param>
/// <param name="SmallThreshold">The small_threshold the uses were decided with.</param>
/// <param name="DropThreshold">The drop_threshold the uses were decided with.</param>
public sealed record FolderReport(string Path, IReadOnlyList<FolderFile> Files, int SmallThreshold, int DropThreshold)
{
    /// <summary>A plain-text rendering (a Markdown table of the files, then the data sets they make).</summary>
    public string Render()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        bool mark = FlagEmbeddingFolder.NoInBatchNegatives(Path);
        sb.AppendLine(c, $"{Path}: a training folder, {Counted.Of(Files.Count, "data file")} (.json, .jsonl; small_threshold {SmallThreshold}, drop_threshold {DropThreshold}){(mark ? ", without in-batch negatives (its name ends with no_in_batch_neg)" : "")}");
        if (Files.Count == 0) return sb.ToString();
        sb.AppendLine();
        sb.AppendLine("| file | rows | kind | trains as |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var f in Files)
        {
            string kind = f.Data.Groups is { } g ? (g.HasScores ? "FlagEmbedding, teacher's scores" : "FlagEmbedding") : "table";
            string use = f.Use switch
            {
                FolderFileUse.DataSet => "its own data set",
                FolderFileUse.Merged => "merged with the other small files",
                FolderFileUse.Dropped => "left out (small files below drop_threshold)",
                _ => "left out (no rows)",
            };
            sb.AppendLine(c, $"| {System.IO.Path.GetFileName(f.Path)} | {f.Data.Count} | {kind} | {use} |");
        }
        sb.AppendLine();
        var own = Files.Where(f => f.Use == FolderFileUse.DataSet).ToList();
        var merged = Files.Where(f => f.Use == FolderFileUse.Merged).ToList();
        int sets = own.Count + (merged.Count > 0 ? 1 : 0);
        int rows = own.Sum(f => f.Data.Count) + merged.Sum(f => f.Data.Count);
        string mergedNote = merged.Count > 0 ? $" (one of them the {Counted.Of(merged.Count, "small file")} merged, {merged.Sum(f => f.Data.Count).ToString(c)} rows)" : "";
        sb.AppendLine(c, $"trains as {Counted.Of(sets, "data set")} of {Counted.Of(rows, "row")}{mergedNote}");
        return sb.ToString();
    }
}
