using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Data;

/// <summary>
/// FlagEmbedding's folders of files with <c>data.small_threshold</c> / <c>data.drop_threshold</c>
/// (<see cref="FlagEmbeddingFolder"/>), on tiny files: what upstream's AbsEmbedderSameDatasetTrainDataset keeps (a
/// folder's small files merged into one data set batched by the smallest of their batch sizes, the merge dropped below
/// drop_threshold, a file entry below small_threshold dropped, the folder's no_in_batch_neg mark on every data set of
/// it), and the keys refused in one line without same-dataset batching.
/// </summary>
public sealed class FlagEmbeddingFolderTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    // n FlagEmbedding rows (two negatives each), the first with the extra keys
    private string Write(string folder, string name, int n, string first = "")
    {
        Directory.CreateDirectory(Path.Combine(dir, folder));
        return InfraPaths.WriteFile(Path.Combine(dir, folder), name, string.Concat(Enumerable.Range(0, n).Select(i =>
            $"{{\"query\": \"{name} spørsmål {i}?\", \"pos\": [\"{name} svar {i}.\"], \"neg\": [\"{name} feil {i}.\", \"{name} galt {i}.\"]{(i == 0 ? first : "")}}}\n")));
    }

    private TrainingConfig Config(string train, string data, bool sameDataset = true) => ConfigLoader.Parse($"""
        model:
          path: {InfraPaths.FixtureModel("bert-cased-mean")}
        data:
          train: {train}
          same_dataset_within_batch: {(sameDataset ? "true" : "false")}
          train_group_size: 2
        {data}
        training:
          batch_size: 4
        loss:
          type: mnrl
        output:
          dir: {Path.Combine(dir, "run")}
        """, "t.yaml");

    [Fact]
    public void AFoldersSmallFilesAreMergedAndDroppedAsUpstreamReadsThem()
    {
        Write("sets", "big.jsonl", 6);
        Write("sets", "small_a.jsonl", 2, ", \"batch_size\": 2");
        Write("sets", "small_b.jsonl", 3);
        Write("sets", "notes.txt", 1); // not .json / .jsonl: passed over, as upstream
        string lone = Write("lone", "tiny.jsonl", 3);
        string folder = Path.Combine(dir, "sets");

        // small_threshold 4: big stays; small_a + small_b (5 rows ≥ drop_threshold 5) merge, batched by min(2, 4) = 2;
        // the file entry tiny.jsonl (3 rows) is left out
        var (train, _) = TrainingRun.ReadData(Config($"[{folder}, {lone}]", "  small_threshold: 4\n  drop_threshold: 5"));
        Assert.Equal(2, train.Count);
        Assert.Equal(Path.Combine(folder, "big.jsonl"), train[0].Name);
        Assert.Equal(6, train[0].Count);
        Assert.Equal($"{folder} (merged: small_a.jsonl, small_b.jsonl)", train[1].Name);
        Assert.Equal(5, train[1].Count);
        Assert.Equal(2, train[1].Groups!.RowKeys!.FileBatchSize(4));
        Assert.Equal(4, train[0].Groups!.RowKeys?.FileBatchSize(4) ?? 4);
        Assert.All(train, d => Assert.False(d.NoInBatchNegatives));
        var plan = SameDatasetBatches.PlanEpoch(train, 4, 7, 0, out _);
        Assert.Equal(3, plan.Count); // big: one batch of 4 (2 left out); merged: two batches of 2 (1 left out)
        Assert.Equal([4, 2, 2], plan.Select(b => b.Rows.Length).Order().Reverse());

        // drop_threshold 6: the merged 5 rows are left out
        (train, _) = TrainingRun.ReadData(Config($"[{folder}]", "  small_threshold: 4\n  drop_threshold: 6"));
        Assert.Equal(Path.Combine(folder, "big.jsonl"), Assert.Single(train).Name);

        // defaults (0, 0): every file its own data set, the file entry kept
        (train, _) = TrainingRun.ReadData(Config($"[{folder}, {lone}]", ""));
        Assert.Equal(["big.jsonl", "small_a.jsonl", "small_b.jsonl", "tiny.jsonl"], train.Select(d => Path.GetFileName(d.Name)));
    }

    [Fact]
    public void AFoldersNoInBatchNegMarkIsEveryFilesAndAFilesOwnMarkInsideItIsNot()
    {
        Write("qa_no_in_batch_neg", "one.jsonl", 4);
        Write("qa_no_in_batch_neg", "two.jsonl", 2);
        Write("plain", "three_no_in_batch_neg.jsonl", 4);
        var (train, _) = TrainingRun.ReadData(Config($"[{Path.Combine(dir, "qa_no_in_batch_neg")}, {Path.Combine(dir, "plain")}]", "  small_threshold: 3"));
        Assert.Equal(3, train.Count);
        Assert.True(train[0].NoInBatchNegatives); // one.jsonl
        Assert.True(train[1].NoInBatchNegatives); // two.jsonl merged alone
        Assert.False(train[2].NoInBatchNegatives); // upstream reads the folder's name, not the file's
    }

    [Fact]
    public void AJsonFileHoldsJsonLinesOrAnArrayAsDatasetsReadsIt()
    {
        string lines = Write("json", "a_lines.json", 3);
        string jsonl = Write("json", "b_same.jsonl", 3);
        // the same rows as one (pretty-printed) JSON array of objects
        var rows = File.ReadLines(lines).Where(l => l.Length > 0).ToArray();
        Write("json", "c_array.json", 0);
        File.WriteAllText(Path.Combine(dir, "json", "c_array.json"), "[\n  " + string.Join(",\n  ", rows) + "\n]\n");
        var (train, _) = TrainingRun.ReadData(Config(Path.Combine(dir, "json"), ""));
        Assert.Equal(["a_lines.json", "b_same.jsonl", "c_array.json"], train.Select(d => Path.GetFileName(d.Name)));
        Assert.All(train, d => Assert.NotNull(d.Groups));
        Assert.Equal(train[0].Groups!.Queries, train[2].Groups!.Queries);
        Assert.Equal(train[0].Groups!.Negatives.Select(n => string.Join("|", n)), train[2].Groups!.Negatives.Select(n => string.Join("|", n)));
        Assert.Equal(3, train[1].Count);

        // anything else in a .json file is one line naming it
        string obj = Path.Combine(dir, "json", "d_object.json");
        File.WriteAllText(obj, "{\n  \"data\": []\n}\n");
        var e = Assert.Throws<TrainingException>(() => TrainingRun.ReadData(Config(Path.Combine(dir, "json"), "")));
        Assert.Equal($"{obj}: neither JSON Lines (one object per line) nor a JSON array of objects, the two a .json data file may hold", e.Message);
        File.WriteAllText(obj, "[\"a\", \"b\"]");
        e = Assert.Throws<TrainingException>(() => TrainingRun.ReadData(Config(Path.Combine(dir, "json"), "")));
        Assert.Equal($"{obj}: a JSON array of other things than objects; a .json data file is JSON Lines or an array of objects, one per row", e.Message);
    }

    [Fact]
    public void AFolderWithoutSameDatasetBatchingIsItsFilesAsOneDataSet()
    {
        string a = Write("plain", "a.jsonl", 3), b = Write("plain", "b.jsonl", 2);
        Write("plain", "notes.txt", 1); // passed over, as upstream
        var (train, _) = TrainingRun.ReadData(Config(Path.Combine(dir, "plain"), "", sameDataset: false));
        var one = Assert.Single(train);
        Assert.Equal(Path.Combine(dir, "plain"), one.Name);
        Assert.Equal(DatasetReader.Read(a).Groups!.Queries.Concat(DatasetReader.Read(b).Groups!.Queries), one.Groups!.Queries);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n  \n")]
    public void AnEmptyFileOfAFolderIsOneLineAsUpstreamsLoaderFailsOnIt(string text)
    {
        Write("sets", "a.jsonl", 3);
        string empty = InfraPaths.WriteFile(Path.Combine(dir, "sets"), "b_empty.jsonl", text);
        var e = Assert.Throws<TrainingException>(() => TrainingRun.ReadData(Config(Path.Combine(dir, "sets"), "")));
        Assert.Equal($"{empty}: an empty file in a FlagEmbedding folder; FlagEmbedding's loader (datasets' load_dataset(\"json\")) fails on one " +
            "(\"Please pass `features` or at least one example\") rather than passing it over: remove it or give it rows", e.Message);
    }

    /// <summary>
    /// A .json file holding an empty array, in a folder or alone, said "FILE: no data rows"; it says the file is empty,
    /// as an empty .jsonl file of a folder is named.
    /// </summary>
    [Theory]
    [InlineData("[]")]
    [InlineData("  [\n  ]\n")]
    public void AJsonFileHoldingAnEmptyArrayIsNamedAsEmpty(string text)
    {
        Write("sets", "a.jsonl", 3);
        string empty = InfraPaths.WriteFile(Path.Combine(dir, "sets"), "b_empty.json", text);
        string expected = $"{empty}: empty (a JSON array of no rows); give it rows or remove it";
        Assert.Equal(expected, Assert.Throws<TrainingException>(() => TrainingRun.ReadData(Config(Path.Combine(dir, "sets"), ""))).Message);
        Assert.Equal(expected, Assert.Throws<TrainingException>(() => TrainingRun.ReadData(Config(empty, ""))).Message);
        Assert.Equal(expected, Assert.Throws<TrainingException>(() => DatasetReader.Read(empty, idsLeftOut: true)).Message); // a ColBERT run's reader
    }

    [Fact]
    public void TheThresholdsWithoutSameDatasetBatchingAndAnEmptyResultAreOneLine()
    {
        string lone = Write("lone", "tiny.jsonl", 3);
        var e = Assert.Throws<TrainingException>(() => Config($"[{lone}]", "  small_threshold: 4", sameDataset: false));
        Assert.StartsWith("t.yaml:", e.Message);
        Assert.Contains("data.small_threshold is FlagEmbedding's option for batches of one file; it needs data.same_dataset_within_batch: true", e.Message);
        e = Assert.Throws<TrainingException>(() => TrainingRun.ReadData(Config($"[{lone}]", "  small_threshold: 4")));
        Assert.StartsWith("data.train: no data set has data.small_threshold 4 rows", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
