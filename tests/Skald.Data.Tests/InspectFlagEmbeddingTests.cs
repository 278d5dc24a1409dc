using Skald.Data.Inspect;
using Skald.Data.Ingest;
using Skald.Training.Config;

namespace Skald.Data.Tests;

/// <summary>
/// <c>skald data inspect</c> on FlagEmbedding's rows (query, pos[], neg[], pos_scores, neg_scores, prompt): read by
/// training's reader, reported per column over every document, with positives and negatives per query; the expected
/// counts are the sample file's, counted by hand (and by a one-line Python count of its lists).
/// </summary>
public sealed class InspectFlagEmbeddingTests
{
    [Fact]
    public void TheSampleFileWithTeacherScoresIsReportedPerQuery()
    {
        // the score lists were read as lists of texts: inspect stopped on the first pos_scores
        var r = DatasetInspector.Inspect(Path.Combine(TestPaths.RepoRoot, "samples", "data", "flag-embedding.jsonl"), TokenCounter.Words);
        Assert.Equal(6, r.Rows);
        Assert.Equal(0, r.DuplicateRows);
        Assert.Equal(["query", "pos", "neg", "pos_scores", "neg_scores"], r.Columns.Select(c => c.Name));
        Assert.Equal([6, 8, 19], r.Columns.Take(3).Select(c => c.Lengths.Count)); // every query, positive and negative
        Assert.Equal([false, false, false, true, true], r.Columns.Select(c => c.Numeric));
        Assert.Equal([8, 9, 8, 9, 7, 6], r.Columns[0].Lengths);
        Assert.NotNull(r.Groups);
        Assert.Equal([1, 2, 1, 1, 2, 1], r.Groups.Positives);
        Assert.Equal([4, 3, 4, 3, 3, 2], r.Groups.Negatives);
        Assert.True(r.Groups.Scores);
        string text = r.Render();
        Assert.Contains("6 rows, 5 columns (query, pos, neg, pos_scores, neg_scores), 0 duplicate rows", text);
        Assert.Contains("FlagEmbedding rows: positives per query min 1, median 1, max 2, negatives per query min 2, median 3, max 4, teacher's scores yes", text);
        Assert.Contains("| query | 0 | 0 | 6 | 8 | 9 | 9 |", text);
        Assert.Contains("| pos_scores | 0 | 0 | - | - | - | - | (numbers) |", text);
        Assert.Contains("pos_scores: [0.94]", text);
    }

    [Fact]
    public void RowsWithoutScoresCountDuplicatesPromptsAndQueriesWithoutNegatives()
    {
        string path = TestPaths.WriteFile(TestPaths.NewTempDir(), "flag.jsonl", string.Join("\n",
            "{\"query\": \"Hva koster kaffen?\", \"pos\": [\"Ti kroner.\"], \"neg\": []}",
            "{\"query\": \"Hva koster kaffen?\", \"pos\": [\"Ti kroner.\"], \"neg\": []}",
            "{\"query\": \"åpner kantinen?\", \"prompt\": \"Når \", \"pos\": [\"Klokka åtte.\", \"Ti kroner.\"], \"neg\": [\"Teen er gratis.\"]}") + "\n");
        var r = DatasetInspector.Inspect(path, TokenCounter.Words);
        Assert.Equal(3, r.Rows);
        Assert.Equal(1, r.DuplicateRows);
        Assert.Equal(["query", "pos", "neg"], r.Columns.Select(c => c.Name));
        Assert.Equal([3, 3, 3], r.Columns[0].Lengths); // the prompt is written before its query, as training reads it
        Assert.Equal(1, r.Columns[0].Duplicates);
        Assert.Equal(2, r.Columns[1].Duplicates);
        Assert.Equal([1, 1, 2], r.Groups!.Positives);
        Assert.Equal([0, 0, 1], r.Groups.Negatives);
        Assert.False(r.Groups.Scores);
        Assert.Contains("negatives per query min 0, median 0, max 1, teacher's scores no", r.Render());
    }

    [Fact]
    public void ABadRowIsOneLineNamingFileLineAndKey()
    {
        string path = TestPaths.WriteFile(TestPaths.NewTempDir(), "flag.jsonl", string.Join("\n",
            "{\"query\": \"Hva koster kaffen?\", \"pos\": [\"Ti kroner.\"], \"neg\": [\"Gratis.\"], \"pos_scores\": [1], \"neg_scores\": [0]}",
            "{\"query\": \"Når åpner kantinen?\", \"pos\": [\"Klokka åtte.\", \"Klokka ni.\"], \"neg\": [\"Gratis.\"], \"pos_scores\": [1], \"neg_scores\": [0]}") + "\n");
        var e = Assert.Throws<TrainingException>(() => DatasetInspector.Inspect(path, TokenCounter.Words));
        Assert.Equal($"{path}:2: key 'pos_scores' has 1 scores for the 2 texts of 'pos'", e.Message);
    }
}
