using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Skald.Tensors.Memory;

namespace Skald.Tensors.Tests;

/// <summary>
/// A stacked weight left in its file as several tensors (<see cref="FileValues.Open(string, IReadOnlyList{long}, int, int, WeightPrecision)"/>,
/// a Linear weight's query, key and value stored apart): its values are the parts' in the order given, whatever ranges
/// are read across the parts' ends, and a stack over them (<see cref="Parameter.StackInFile"/>) reads as one parameter
/// with one view a part, copied into memory whole on first need.
/// </summary>
public sealed class FileValuesPartsTests : IDisposable
{
    private const int RowsEach = 5, Dim = 7;
    private readonly string path = Path.Combine(Path.GetTempPath(), "skald-fileparts-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // Three parts written in the order value, query, key with gaps of odd sizes between them; returns each part's
    // offset and values (bfloat16 parts: the stored values widened).
    private (long[] Offsets, float[][] Parts) Write(WeightPrecision format)
    {
        var rng = new Random(5);
        var parts = new float[3][];
        var offsets = new long[3];
        using var fs = File.Create(path);
        foreach (int part in new[] { 2, 0, 1 })
        {
            fs.Write(new byte[3 + part]);
            offsets[part] = fs.Position;
            parts[part] = new float[RowsEach * Dim];
            for (int i = 0; i < parts[part].Length; i++)
            {
                float v = (float)(rng.NextDouble() * 6 - 3);
                if (format == WeightPrecision.Float32)
                {
                    fs.Write(BitConverter.GetBytes(v));
                    parts[part][i] = v;
                }
                else
                {
                    ushort bits = Bf16.FromSingle(v);
                    fs.Write(BitConverter.GetBytes(bits));
                    parts[part][i] = Bf16.ToSingle(bits);
                }
            }
        }
        return (offsets, parts);
    }

    [Theory]
    [InlineData(WeightPrecision.Float32)]
    [InlineData(WeightPrecision.BFloat16)]
    public void PartsReadAsOneTensorInTheirOrder(WeightPrecision format)
    {
        var (offsets, parts) = Write(format);
        float[] expected = [.. parts[0], .. parts[1], .. parts[2]];
        using var values = FileValues.Open(path, offsets, 3 * RowsEach, Dim, format);
        Assert.Equal(expected, values.ToSingle());
        foreach (var (first, length) in new[] { (0, expected.Length), (RowsEach * Dim - 3, 9), (2 * RowsEach * Dim - 1, 2), (Dim * 4, Dim) })
        {
            var range = new float[length];
            values.Widen(first, range, WeightPrecision.Float32);
            Assert.Equal(expected.AsSpan(first, length).ToArray(), range);
        }
        Assert.Throws<ArgumentException>(() => FileValues.Open(path, offsets, 3 * RowsEach + 1, Dim, format));
    }

    [Fact]
    public void AStackInTheFileViewsItsPartsAndCopiesThemOnce()
    {
        var (offsets, parts) = Write(WeightPrecision.Float32);
        var (whole, views) = Parameter.StackInFile("qkv", [("q", [RowsEach, Dim]), ("k", [RowsEach, Dim]), ("v", [RowsEach, Dim])], true,
            FileValues.Open(path, offsets, 3 * RowsEach, Dim, WeightPrecision.Float32));
        Assert.Equal([3 * RowsEach, Dim], whole.Shape);
        Assert.True(whole.IsFileBacked && views.All(v => v.IsFileBacked));
        var row = new float[Dim];
        views[2].Widen(Dim, row); // the third part's second row, read in the file
        Assert.Equal(parts[2].AsSpan(Dim, Dim).ToArray(), row);
        Assert.Equal(parts[1], views[1].Data.ToArray()); // copied into memory whole
        Assert.False(whole.IsFileBacked);
        Assert.Equal([.. parts[0], .. parts[1], .. parts[2]], whole.Data.ToArray());
        whole.CloseFile();
    }
}
