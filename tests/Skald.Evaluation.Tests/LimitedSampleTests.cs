using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Retrieval.Data;

namespace Skald.Evaluation.Tests;

/// <summary>
/// <c>--limit N</c> on a labelled or scored task keeps a seeded random sample of N rows, not the file's first N: on a
/// file sorted by label (the shared suite's SIB-200 test files are) the first rows were one class, so a quick benchmark
/// scored a probe on one label and a clustering of one cluster (V-measure 100), and a training file sorted the same way
/// stopped the run ("needs at least two labels"). A retrieval task keeps a sample of its queries the same way (XQuAD's
/// come grouped by paragraph).
/// </summary>
public sealed class LimitedSampleTests
{
    private static readonly FakeModel Model = new(new() { ["a"] = [1, 0], ["b"] = [0.8f, 0.6f], ["c"] = [0, 1] });

    private static string Write(string name, string content)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>40 labelled rows, sorted by label: 20 "a ..." rows of label x, then 20 "c ..." rows of label y.</summary>
    private static string Sorted() => string.Concat(Enumerable.Range(0, 40).Select(i =>
        i < 20 ? $"{{\"text\":\"a {i}\",\"label\":\"x\"}}\n" : $"{{\"text\":\"c {i}\",\"label\":\"y\"}}\n"));

    [Fact]
    public void ClusteringOfASortedFileSeesEveryLabel()
    {
        string file = Write("sorted.jsonl", Sorted());
        var r = TaskEvaluator.Create(TaskDefinition.FromPath(file, TaskKind.Clustering, limit: 10)).Evaluate(Model);
        Assert.Equal("10", r.Metadata["texts"]);
        Assert.Equal("2", r.Metadata["clusters"]); // the first ten rows are all x: one cluster, V-measure 1 by definition
        Assert.Equal(1.0, r.MainScore, 12); // "a" and "c" texts are apart: the two clusters are the two labels
    }

    [Fact]
    public void ClassificationOfSortedFilesTrainsOnBothLabels()
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "train.jsonl"), Sorted());
        File.WriteAllText(Path.Combine(dir, "test.jsonl"), Sorted());
        var r = TaskEvaluator.Create(TaskDefinition.FromPath(dir, TaskKind.Classification, limit: 10)).Evaluate(Model);
        Assert.Equal("10", r.Metadata["train"]);
        Assert.Equal("10", r.Metadata["test"]);
        Assert.Equal("2", r.Metadata["labels"]);
        Assert.Equal(1.0, r.MainScore, 12);
    }

    [Fact]
    public void StsOfAFileSortedByScoreHasADefinedCorrelation()
    {
        // the first 10 pairs all score 1: a correlation with constant gold scores is undefined (null)
        string rows = string.Concat(Enumerable.Range(0, 40).Select(i => i < 20 ? "a\tb\t1\n" : "a\tc\t0\n"));
        string file = Write("sorted.tsv", "sentence1\tsentence2\tscore\n" + rows);
        var r = TaskEvaluator.Create(TaskDefinition.FromPath(file, TaskKind.Sts, limit: 10)).Evaluate(Model);
        Assert.Equal("10", r.Metadata["pairs"]);
        Assert.True(double.IsFinite(r.MainScore), r.ToJson());
        Assert.Equal(1.0, r.MainScore, 12); // cos(a, b) = 0.8 > cos(a, c) = 0, as the gold scores order them
    }

    [Fact]
    public void ARetrievalTaskWhoseQueriesComeGroupedKeepsASampleOfEveryGroup()
    {
        // 40 queries in two runs of 20, each run about one document (as XQuAD's queries follow their paragraphs)
        string queries = string.Concat(Enumerable.Range(0, 40).Select(i => $"{{\"_id\": \"q{i}\", \"text\": \"{(i < 20 ? "a" : "c")} {i}\"}}\n"));
        string qrels = "query-id\tcorpus-id\tscore\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"q{i}\t{(i < 20 ? "d1" : "d2")}\t1\n"));
        string dir = BeirFolder.Write("{\"_id\": \"d1\", \"text\": \"a\"}\n{\"_id\": \"d2\", \"text\": \"c\"}\n", queries, qrels);
        var kept = RetrievalData.Load(dir, limit: 10).Queries.Select(q => int.Parse(q.Id[1..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(10, kept.Count);
        Assert.Contains(kept, i => i < 20);
        Assert.Contains(kept, i => i >= 20); // the first ten queries are all about d1
        Assert.True(kept.Zip(kept.Skip(1)).All(p => p.First < p.Second)); // in the file's order
        Assert.Equal(kept, RetrievalData.Load(dir, limit: 10).Queries.Select(q => int.Parse(q.Id[1..], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void TheSampleIsTheSameEveryRunInFileOrderAndWithoutALimitEverything()
    {
        var rows = Enumerable.Range(0, 100).ToList();
        var first = LimitedSample.Take(rows, 30);
        Assert.Equal(30, first.Count);
        Assert.Equal(first, LimitedSample.Take([.. rows], 30));
        Assert.True(first.Zip(first.Skip(1)).All(p => p.First < p.Second)); // distinct rows, in the file's order
        Assert.NotEqual(Enumerable.Range(0, 30), first); // not the head of the file
        Assert.Equal(rows, LimitedSample.Take(rows, null));
        Assert.Equal(rows, LimitedSample.Take(rows, 500));
    }
}
