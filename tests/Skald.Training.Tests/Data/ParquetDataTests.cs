using Parquet;
using Parquet.Schema;
using Skald.Training.Config;
using Skald.Training.Data;

namespace Skald.Training.Tests.Data;

/// <summary>Parquet files (as Hugging Face publishes datasets) read by the same reader as JSONL/CSV/TSV.</summary>
public sealed class ParquetDataTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private static string Write(string path, params (DataField Field, Array Values)[] columns)
    {
        using var fs = File.Create(path);
        var w = ParquetWriter.CreateAsync(new ParquetSchema(columns.Select(c => (Field)c.Field).ToArray()), fs).GetAwaiter().GetResult();
        // Two row groups, to check rows keep their order across groups.
        int n = columns[0].Values.Length, half = n / 2;
        foreach (var (start, count) in new[] { (0, half), (half, n - half) })
        {
            using var rg = w.CreateRowGroup();
            foreach (var (f, v) in columns)
            {
                switch (v)
                {
                    case string?[] s: rg.WriteAsync(f, s[start..(start + count)]).GetAwaiter().GetResult(); break;
                    case long[] l: rg.WriteAsync<long>(f, l.AsMemory(start, count)).GetAwaiter().GetResult(); break;
                    case int[] i: rg.WriteAsync<int>(f, i.AsMemory(start, count)).GetAwaiter().GetResult(); break;
                    case double?[] d: rg.WriteAsync<double>(f, d.AsMemory(start, count)).GetAwaiter().GetResult(); break;
                }
            }
        }
        w.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return path;
    }

    [Fact]
    public void ReadsTextAndLabelColumnsOverRowGroups()
    {
        string path = Write(Path.Combine(dir, "nli.parquet"),
            (new DataField<string>("premise", true), new string?[] { "En mann spiller gitar.", "Barn leker ute.", "Hunden sover.", "Det regner." }),
            (new DataField<string>("hypothesis", true), new string?[] { "Noen spiller musikk.", "Barna er inne.", "Et dyr hviler.", "Været er vått." }),
            (new DataField<long>("label"), new long[] { 0, 2, 0, 1 }));
        var d = DatasetReader.Read(path);
        Assert.Equal(["premise", "hypothesis"], d.Columns);
        Assert.Equal("label", d.LabelColumn);
        Assert.Equal(["Det regner.", "Været er vått."], d.Rows[3]);
        Assert.Equal([0f, 2f, 0f, 1f], d.Labels!);
    }

    [Fact]
    public void ANullTextIsAnErrorWithItsRowAndAFloatScoreIsRead()
    {
        string path = Write(Path.Combine(dir, "sts.parquet"),
            (new DataField<string>("sentence1", true), new string?[] { "a", "b", "c", null }),
            (new DataField<double?>("score"), new double?[] { 0.5, 1.25, null, 3 }));
        var raw = DatasetReader.ReadTable(path);
        Assert.Equal(["sentence1", "score"], raw.Header);
        Assert.Equal(new string?[] { "b", "1.25" }, raw.Rows[1].Values);
        Assert.Null(raw.Rows[2].Values[1]);
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(path));
        Assert.Contains("sts.parquet:3: column 'score' must be a number", e.Message);
    }

    /// <summary>
    /// A number column where text is read (an id taken for the first text column, a text column written as numbers) is
    /// one line naming file, column and type, not its digits trained on as text; data.columns may leave it out.
    /// </summary>
    [Fact]
    public void ANumberColumnWhereTextIsReadIsOneLineNamingItsType()
    {
        string ids = Write(Path.Combine(dir, "ids.parquet"),
            (new DataField<long>("id"), new long[] { 7, 8, 9, 10 }),
            (new DataField<string>("anchor", true), new string?[] { "a", "b", "c", "d" }),
            (new DataField<string>("positive", true), new string?[] { "e", "f", "g", "h" }));
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(ids));
        Assert.Equal($"{ids}: column 'id' has type int64, not string (a text column must hold texts)", e.Message);
        var chosen = DatasetReader.Read(ids, ["anchor", "positive"]);
        Assert.Equal(["c", "g"], chosen.Rows[2]);

        string ints = Write(Path.Combine(dir, "ints.parquet"),
            (new DataField<string>("sentence1", true), new string?[] { "a", "b", "c", "d" }),
            (new DataField<int>("sentence2"), new[] { 1, 2, 3, 4 }),
            (new DataField<double?>("score"), new double?[] { 0.5, 1, 0, 0.25 }));
        e = Assert.Throws<TrainingException>(() => DatasetReader.Read(ints));
        Assert.Equal($"{ints}: column 'sentence2' has type int32, not string (a text column must hold texts)", e.Message);

        string doubles = Write(Path.Combine(dir, "doubles.parquet"),
            (new DataField<double?>("text"), new double?[] { 0.5, 1, 2, 3 }));
        e = Assert.Throws<TrainingException>(() => DatasetReader.Read(doubles));
        Assert.Equal($"{doubles}: column 'text' has type double, not string (a text column must hold texts)", e.Message);

        string alpaca = Write(Path.Combine(dir, "alpaca.parquet"),
            (new DataField<string>("instruction", true), new string?[] { "Legg sammen.", "Trekk fra." }),
            (new DataField<long>("output"), new long[] { 4, 2 }));
        e = Assert.Throws<TrainingException>(() => Skald.Training.Data.Instructions.InstructionDatasetReader.ReadExamples(alpaca));
        Assert.Equal($"{alpaca}: column 'output' has type int64, not string (a text column must hold texts)", e.Message);
    }

    [Fact]
    public void ABrokenFileIsOneMessage()
    {
        string path = Path.Combine(dir, "broken.parquet");
        File.WriteAllText(path, "not parquet at all");
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(path));
        Assert.StartsWith($"{path}: not a readable Parquet file", e.Message);
    }
}
