using Parquet.Serialization;
using Skald.Training.Config;
using Skald.Training.Data;

namespace Skald.Training.Tests.Data;

/// <summary>
/// List-valued labels (several negatives' margins, multi-label targets) from every format: JSONL arrays, CSV/TSV cells
/// written as JSON arrays, and Parquet lists of numbers (as Hugging Face publishes them, written here by Parquet.Net's
/// serializer: a LIST column over row groups); malformed ones are one line naming file, row and column.
/// </summary>
public sealed class ListLabelTests
{
    private readonly string dir = TestPaths.NewTempDir();

    /// <summary>A row of a Parquet file as a class (the serializer writes float[] as a LIST of floats).</summary>
    public sealed class Row
    {
        [System.Text.Json.Serialization.JsonPropertyName("query")]
        public string Query { get; set; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("positive")]
        public string Positive { get; set; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("negative")]
        public string Negative { get; set; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("label")]
        public float[] Label { get; set; } = [];
    }

    private static readonly float[][] Margins = [[0.5f, 0.25f], [1f, -0.5f], [0.125f, 2f], [3f, 0f]];

    [Fact]
    public async Task ParquetListsAreReadAsTheirNumbers()
    {
        var rows = Margins.Select((m, i) => new Row { Query = $"Hvor ligger hus {i}?", Positive = $"Hus {i} ligger ved sjøen.", Negative = $"Bussen går {i}.", Label = m }).ToList();
        string path = Path.Combine(dir, "margins.parquet");
        await ParquetSerializer.SerializeAsync(rows.Take(2), path);
        await ParquetSerializer.SerializeAsync(rows.Skip(2), path, new Parquet.ParquetOptions { Append = true }); // a second row group
        var d = DatasetReader.Read(path);
        Assert.Equal(["query", "positive", "negative"], d.Columns);
        Assert.Equal(2, d.LabelWidth);
        Assert.Equal(Margins.SelectMany(m => m), d.Labels!);
        Assert.Equal("Hus 3 ligger ved sjøen.", d.Rows[3][1]);
    }

    /// <summary>A row whose list holds texts.</summary>
    public sealed class TagRow
    {
        [System.Text.Json.Serialization.JsonPropertyName("text")]
        public string Text { get; set; } = "";

        [System.Text.Json.Serialization.JsonPropertyName("tags")]
        public string[] Tags { get; set; } = [];
    }

    [Fact]
    public async Task AParquetListOfTextsIsOneLineNamingTheColumn()
    {
        string path = Path.Combine(dir, "tags.parquet");
        await ParquetSerializer.SerializeAsync([new TagRow { Text = "Hei", Tags = ["a", "b"] }], path);
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(path));
        // A list of texts is a listwise row's documents, which need one label each.
        Assert.Contains("tags.parquet: column 'tags' holds lists of texts, which need a 'labels' column with one number per text (", e.Message);
    }

    [Theory]
    [InlineData(".csv", ',')]
    [InlineData(".tsv", '\t')]
    public void DelimitedCellsWrittenAsJsonArraysAreLists(string ext, char sep)
    {
        string Cell(float[] m) => ext == ".csv" ? $"\"[{m[0].ToString(System.Globalization.CultureInfo.InvariantCulture)}, {m[1].ToString(System.Globalization.CultureInfo.InvariantCulture)}]\""
            : $"[{m[0].ToString(System.Globalization.CultureInfo.InvariantCulture)}, {m[1].ToString(System.Globalization.CultureInfo.InvariantCulture)}]";
        string path = Path.Combine(dir, "margins" + ext);
        File.WriteAllLines(path, [$"query{sep}positive{sep}negative{sep}label",
            .. Margins.Select((m, i) => $"q{i}{sep}p{i}{sep}n{i}{sep}{Cell(m)}")]);
        var d = DatasetReader.Read(path);
        Assert.Equal(2, d.LabelWidth);
        Assert.Equal(Margins.SelectMany(m => m), d.Labels!);

        File.WriteAllLines(path, [$"query{sep}positive{sep}negative{sep}label", $"q{sep}p{sep}n{sep}{(ext == ".csv" ? "\"[0.1, 0.2\"" : "[0.1, 0.2")}", $"q2{sep}p2{sep}n2{sep}[0.1]"]);
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(path));
        Assert.Contains($"margins{ext}:2: column 'label' must be a number or a non-empty list of numbers, got [0.1, 0.2", e.Message);
    }
}
