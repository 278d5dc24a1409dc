using System.Buffers;
using System.Text.Json.Serialization;
using Skald.Retrieval.Data;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="ParquetTableReader"/> against whatever other code left in the shared array pool: Parquet.Net 6.1's
/// nullable read of a required column takes its definition levels from the pool without filling them, so a stale
/// negative int there turned a value into a missing one (a documents file's id 0 read as "empty 'document_id'", once
/// in a full test run).
/// </summary>
public sealed class ParquetTableReaderTests
{
    /// <summary>A row of required (non-nullable) number columns and a text.</summary>
    public sealed class NumberRow
    {
        [JsonPropertyName("id")]
        public long Id { get; set; }

        [JsonPropertyName("rank")]
        public int Rank { get; set; }

        [JsonPropertyName("score")]
        public double Score { get; set; }

        [JsonPropertyName("flag")]
        public bool Flag { get; set; }

        [JsonPropertyName("text")]
        public string Text { get; set; } = "";
    }

    /// <summary>A row whose id may be missing.</summary>
    public sealed class OptionalRow
    {
        [JsonPropertyName("id")]
        public long? Id { get; set; }
    }

    // Leaves int arrays of every small size full of -1 in the shared pool (this thread's slot and the per-core stacks),
    // as a caller that marks slots with -1 does.
    private static void DirtyTheSharedPool()
    {
        var held = new List<int[]>();
        for (int size = 1; size <= 4096; size *= 2)
            for (int k = 0; k < 64; k++)
            {
                var a = ArrayPool<int>.Shared.Rent(size);
                Array.Fill(a, -1);
                held.Add(a);
            }
        foreach (var a in held) ArrayPool<int>.Shared.Return(a);
    }

    [Fact]
    public async Task RequiredNumberColumnsReadEveryValueWhateverThePoolHolds()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "numbers.parquet");
        var rows = Enumerable.Range(0, 5).Select(i => new NumberRow { Id = i, Rank = 10 - i, Score = i / 4.0, Flag = i % 2 == 0, Text = "t" + i }).ToArray();
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(rows, path);
        for (int round = 0; round < 8; round++)
        {
            DirtyTheSharedPool();
            var (header, read) = ParquetTableReader.Read(path);
            Assert.Equal(["id", "rank", "score", "flag", "text"], header);
            Assert.Equal(rows.Select((r, i) => (i + 1, new string?[]
                {
                    r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Rank.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    r.Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture), r.Flag ? "1" : "0", r.Text,
                })), read);
        }
    }

    [Fact]
    public async Task AnOptionalNumberColumnKeepsItsMissingValues()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "optional.parquet");
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(new[] { new OptionalRow { Id = 0 }, new OptionalRow(), new OptionalRow { Id = 7 } }, path);
        DirtyTheSharedPool();
        var (_, read) = ParquetTableReader.Read(path);
        Assert.Equal(["0", null, "7"], read.Select(r => r.Values[0]));
    }
}
