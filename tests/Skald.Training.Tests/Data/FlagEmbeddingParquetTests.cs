using Parquet.Serialization;
using Skald.Training.Config;
using Skald.Training.Data;

namespace Skald.Training.Tests.Data;

/// <summary>
/// FlagEmbedding's rows in Parquet (query string, pos/neg lists of strings, pos_scores/neg_scores lists of doubles, as
/// Parquet.Net's serializer writes them): detected by the same keys and drawn exactly as the same rows in JSONL are.
/// </summary>
public sealed class FlagEmbeddingParquetTests
{
    private readonly string dir = TestPaths.NewTempDir();

    /// <summary>One FlagEmbedding row as a class (the serializer writes arrays as LIST columns; null as a null list).</summary>
    public sealed class FlagRow
    {
        [System.Text.Json.Serialization.JsonPropertyName("query")]
        public string Query { get; set; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("pos")]
        public string[] Pos { get; set; } = [];
        [System.Text.Json.Serialization.JsonPropertyName("neg")]
        public string[] Neg { get; set; } = [];
        [System.Text.Json.Serialization.JsonPropertyName("pos_scores")]
        public double[]? PosScores { get; set; }
        [System.Text.Json.Serialization.JsonPropertyName("neg_scores")]
        public double[]? NegScores { get; set; }
    }

    private static FlagRow[] Rows(bool scores) => [.. Enumerable.Range(0, 4).Select(i => new FlagRow
    {
        Query = $"Hvor ligger hus {i}?",
        Pos = [.. Enumerable.Range(0, 1 + i % 2).Select(p => $"Hus {i} ligger ved sjø {p}.")],
        Neg = [.. Enumerable.Range(0, 2 + i).Select(n => $"Bussen går {i}.{n}.")],
        PosScores = scores ? [.. Enumerable.Range(0, 1 + i % 2).Select(p => 10.0 + p)] : null,
        NegScores = scores ? [.. Enumerable.Range(0, 2 + i).Select(n => -n - 0.5)] : null,
    })];

    private string Jsonl(string name, FlagRow[] rows)
    {
        var options = new System.Text.Json.JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
        string path = Path.Combine(dir, name);
        File.WriteAllLines(path, rows.Select(r => System.Text.Json.JsonSerializer.Serialize(r, options)));
        return path;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ParquetRowsAreTheGroupsAndDrawsOfTheSameJsonl(bool scores)
    {
        var rows = Rows(scores);
        string parquet = Path.Combine(dir, $"flag-{scores}.parquet");
        await ParquetSerializer.SerializeAsync(rows.Take(2), parquet);
        await ParquetSerializer.SerializeAsync(rows.Skip(2), parquet, new Parquet.ParquetOptions { Append = true }); // a second row group
        var p = DatasetReader.Read(parquet, groupSize: 3);
        var j = DatasetReader.Read(Jsonl($"flag-{scores}.jsonl", rows), groupSize: 3);
        Assert.NotNull(p.Groups);
        Assert.Equal(["query", "pos", "neg[0]", "neg[1]"], p.Columns);
        Assert.Equal([1, 2, 3, 4], p.Lines);
        Assert.Equal(j.Rows, p.Rows);
        Assert.Equal(j.Labels, p.Labels);
        Assert.Equal(scores, p.Labels is not null);
        for (int e = 1; e < 3; e++) Assert.Equal(j.Groups!.Sample(7, e, "j").Rows, p.Groups.Sample(7, e, "p").Rows);
        Assert.Equal("Hvor ligger hus 3?", p.Rows[3][0]);
        if (scores) Assert.Equal(-3.5f, p.Groups.NegativeScores![3][3]);
    }

    [Fact]
    public async Task ABadParquetRowIsOneLineNamingFileRowAndKey()
    {
        var rows = Rows(scores: true);
        rows[1].NegScores = [0.5];
        string path = Path.Combine(dir, "bad.parquet");
        await ParquetSerializer.SerializeAsync(rows, path);
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(path));
        Assert.Equal($"{path}:2: key 'neg_scores' has 1 scores for the 3 texts of 'neg'", e.Message);
    }
}
