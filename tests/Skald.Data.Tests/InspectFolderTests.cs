using Skald.Data.Inspect;
using Skald.Training.Config;
using Skald.Training.Data;

namespace Skald.Data.Tests;

/// <summary>
/// <c>skald data inspect</c> on a FlagEmbedding training folder: each .json / .jsonl file's rows (counted here by
/// construction) and what small_threshold / drop_threshold make of it, as FlagEmbedding's
/// AbsEmbedderSameDatasetTrainDataset decides (a file below small_threshold merged with the others, the merge left out
/// below drop_threshold); other files passed over; a bad row still one line.
/// </summary>
public sealed class InspectFolderTests
{
    private static string Rows(int n, string tag) => string.Concat(Enumerable.Range(0, n).Select(i =>
        $"{{\"query\": \"{tag} spørsmål {i}?\", \"pos\": [\"{tag} svar {i}.\"], \"neg\": [\"{tag} feil {i}.\"]}}\n"));

    private static string Folder()
    {
        string dir = Path.Combine(TestPaths.NewTempDir(), "qa_no_in_batch_neg");
        Directory.CreateDirectory(dir);
        TestPaths.WriteFile(dir, "big.jsonl", Rows(6, "big"));
        TestPaths.WriteFile(dir, "small.json", Rows(2, "small")); // JSON Lines in a .json file
        TestPaths.WriteFile(dir, "tiny.json", "[" + string.Join(",", Rows(1, "tiny").Trim().Split('\n')) + "]"); // a JSON array
        TestPaths.WriteFile(dir, "notes.txt", "not data\n");
        return dir;
    }

    [Fact]
    public void EachFilesRowsAndWhatTheThresholdsMakeOfIt()
    {
        string dir = Folder();
        var report = DatasetInspector.InspectFolder(dir, smallThreshold: 4, dropThreshold: 3);
        Assert.Equal(["big.jsonl", "small.json", "tiny.json"], report.Files.Select(f => Path.GetFileName(f.Path)));
        Assert.Equal([6, 2, 1], report.Files.Select(f => f.Data.Count));
        Assert.Equal([FolderFileUse.DataSet, FolderFileUse.Merged, FolderFileUse.Merged], report.Files.Select(f => f.Use));
        string text = report.Render();
        Assert.StartsWith($"{dir}: a training folder, 3 data files (.json, .jsonl; small_threshold 4, drop_threshold 3), without in-batch negatives (its name ends with no_in_batch_neg)", text);
        Assert.Contains("| big.jsonl | 6 | FlagEmbedding | its own data set |", text);
        Assert.Contains("| small.json | 2 | FlagEmbedding | merged with the other small files |", text);
        Assert.Contains("trains as 2 data sets of 9 rows (one of them the 2 small files merged, 3 rows)", text);

        // the merged 3 rows below drop_threshold 4 are left out; the defaults keep every non-empty file
        report = DatasetInspector.InspectFolder(dir, smallThreshold: 4, dropThreshold: 4);
        Assert.Equal([FolderFileUse.DataSet, FolderFileUse.Dropped, FolderFileUse.Dropped], report.Files.Select(f => f.Use));
        Assert.Contains("trains as 1 data set of 6 rows", report.Render());
        Assert.Equal([FolderFileUse.DataSet, FolderFileUse.DataSet, FolderFileUse.DataSet], DatasetInspector.InspectFolder(dir).Files.Select(f => f.Use));
    }

    [Fact]
    public void ABadRowInAFolderIsOneLine()
    {
        string dir = Folder();
        string bad = TestPaths.WriteFile(dir, "bad.jsonl", "{\"query\": \"q\", \"pos\": [\"a\", \"b\"], \"neg\": [\"n\"], \"pos_scores\": [1], \"neg_scores\": [0]}\n");
        var e = Assert.Throws<TrainingException>(() => DatasetInspector.InspectFolder(dir));
        Assert.Equal($"{bad}:1: key 'pos_scores' has 1 scores for the 2 texts of 'pos'", e.Message);
    }
}
