using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Skald.Tensors.Memory;

namespace Skald.Tensors.Tests;

/// <summary>
/// Values left in their file (<see cref="FileValues"/>) and parameters over them (<see cref="Parameter.IsFileBacked"/>):
/// rows read from the mapping are the stored values (float32 copied, bfloat16 / float16 widened exactly, at an offset
/// that is not page-aligned), a gather on an inference tape reads them without copying the table, whatever needs all
/// the values copies them once (after which the parameter is an ordinary one and the file is never written, though
/// <see cref="Parameter.CloseFile"/> still closes it), and gathers racing that copy read the same rows.
/// </summary>
public sealed class FileBackedParameterTests : IDisposable
{
    private const int Rows = 37, Dim = 24, Skip = 13; // 13 bytes before the values: an unaligned start
    private readonly string dir = Path.Combine(Path.GetTempPath(), "skald-filevalues-" + Guid.NewGuid().ToString("N"));

    public FileBackedParameterTests() => Directory.CreateDirectory(dir);

    public void Dispose()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static float[] RandomValues(int seed)
    {
        var rng = new Random(seed);
        var v = new float[Rows * Dim];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() * 8 - 4);
        return v;
    }

    /// <summary>Writes <paramref name="values"/> in <paramref name="format"/> after <see cref="Skip"/> bytes; returns the path and the stored values widened one by one.</summary>
    private (string Path, float[] Widened, ushort[] Bits) Write(float[] values, WeightPrecision format)
    {
        string path = Path.Combine(dir, $"{format}-{Guid.NewGuid():N}.bin");
        using var fs = File.Create(path);
        fs.Write(new byte[Skip]);
        var widened = new float[values.Length];
        var bits = new ushort[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (format == WeightPrecision.Float32)
            {
                fs.Write(BitConverter.GetBytes(values[i]));
                widened[i] = values[i];
                continue;
            }
            bits[i] = format == WeightPrecision.BFloat16 ? Bf16.FromSingle(values[i]) : F16.FromSingle(values[i]);
            fs.Write(BitConverter.GetBytes(bits[i]));
            widened[i] = format == WeightPrecision.BFloat16 ? Bf16.ToSingle(bits[i]) : F16.ToSingle(bits[i]);
        }
        return (path, widened, bits);
    }

    [Theory]
    [InlineData(WeightPrecision.Float32)]
    [InlineData(WeightPrecision.BFloat16)]
    [InlineData(WeightPrecision.Float16)]
    public void RowsReadFromTheFileAreTheStoredValuesAndOnlyGatheredRowsAreKept(WeightPrecision format)
    {
        var (path, widened, _) = Write(RandomValues(1), format);
        using var values = FileValues.Open(path, Skip, Rows, Dim, format);
        Assert.Equal(Rows * Dim, values.Count);
        var row = new float[Dim];
        foreach (int r in new[] { 0, 5, Rows - 1, 5 })
        {
            values.Widen(r * Dim, row, format);
            Assert.Equal(widened.AsSpan(r * Dim, Dim).ToArray(), row);
        }
        Assert.Equal(3, values.KeptRows); // row 5 once
        var span = new float[Dim + 7]; // a range that is not one row: read, not kept
        values.Widen(2 * Dim + 3, span, format);
        Assert.Equal(widened.AsSpan(2 * Dim + 3, Dim + 7).ToArray(), span);
        Assert.Equal(widened, values.ToSingle());
        Assert.Equal(3, values.KeptRows);
        Assert.Throws<ArgumentOutOfRangeException>(() => values.Widen(Rows * Dim - 3, new float[4], format));
    }

    [Fact]
    public void TheFileMustHoldTheTableAndAClosedOneRefusesReads()
    {
        var (path, _, bits) = Write(RandomValues(2), WeightPrecision.BFloat16);
        Assert.Throws<IOException>(() => FileValues.Open(path, Skip + 2, Rows, Dim, WeightPrecision.BFloat16));
        var values = FileValues.Open(path, Skip, Rows, Dim, WeightPrecision.BFloat16);
        Assert.Equal(bits, values.ToBits16(WeightPrecision.BFloat16));
        Assert.Throws<ArgumentException>(() => values.ToBits16(WeightPrecision.Float32));
        values.Dispose();
        Assert.Throws<ObjectDisposedException>(() => values.Widen(0, new float[Dim], WeightPrecision.BFloat16));

        // Cut short after opening (a file replaced in place): one line naming the file, not a crash.
        var (shortPath, _, _) = Write(RandomValues(2), WeightPrecision.Float32);
        using var cut = FileValues.Open(shortPath, Skip, Rows, Dim, WeightPrecision.Float32);
        using (var fs = new FileStream(shortPath, FileMode.Open, FileAccess.Write)) fs.SetLength(Skip + 4 * Dim);
        var e = Assert.Throws<IOException>(() => cut.Widen(5 * Dim, new float[Dim], WeightPrecision.Float32));
        Assert.Contains(shortPath, e.Message);
    }

    [Theory]
    [InlineData(WeightPrecision.Float32)]
    [InlineData(WeightPrecision.BFloat16)]
    [InlineData(WeightPrecision.Float16)]
    public void AnInferenceGatherReadsItsRowsWithoutCopyingTheTable(WeightPrecision format)
    {
        var (path, widened, _) = Write(RandomValues(3), format);
        var values = FileValues.Open(path, Skip, Rows, Dim, format);
        var table = new Parameter("embed.weight", values, WeightPrecision.Float32, [Rows, Dim], true);
        Assert.True(table.IsFileBacked);
        Assert.Equal(WeightPrecision.Float32, table.Precision);
        Assert.True(table.RequiresGrad); // held as float32 once copied: trainable
        int[] ids = [4, 0, 36, 4, 11];
        var y = Ops.Gather(new Tape(recording: false), ids, table).Span.ToArray();
        for (int i = 0; i < ids.Length; i++) Assert.Equal(widened.AsSpan(ids[i] * Dim, Dim).ToArray(), y.AsSpan(i * Dim, Dim).ToArray());
        Assert.True(table.IsFileBacked, "a gather on an inference tape copied the table");
        Assert.Equal(4, values.KeptRows); // the distinct rows gathered
    }

    [Fact]
    public void WhatNeedsAllTheValuesCopiesThemOnceAndNeverWritesTheFile()
    {
        var values = RandomValues(4);
        var (path, _, _) = Write(values, WeightPrecision.Float32);
        byte[] before = File.ReadAllBytes(path);
        var table = new Parameter("embed.weight", FileValues.Open(path, Skip, Rows, Dim, WeightPrecision.Float32), WeightPrecision.Float32, [Rows, Dim], true);

        // A recording gather and its backward: the gradient (and so the values) come into memory.
        var tape = new Tape();
        var y = Ops.Gather(tape, [3, 3, 9], table);
        tape.Seed(y, Enumerable.Repeat(1f, 3 * Dim).ToArray());
        tape.Backward();
        Assert.False(table.IsFileBacked);
        Assert.Equal(2f, table.Grad.Span[3 * Dim]);
        Assert.Equal(values, table.Data.ToArray());

        table.Data.Span[3 * Dim] += 1f; // an optimizer step writes the copy, not the file
        var row = new float[Dim];
        table.Widen(3 * Dim, row);
        Assert.Equal(values[3 * Dim] + 1f, row[0]);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void ClosingAfterTheValuesWereCopiedClosesTheFileTheyCameFrom()
    {
        var values = RandomValues(5);
        var (path, _, _) = Write(values, WeightPrecision.Float32);
        var file = FileValues.Open(path, Skip, Rows, Dim, WeightPrecision.Float32);
        var table = new Parameter("embed.weight", file, WeightPrecision.Float32, [Rows, Dim], true);
        Assert.Equal(values, table.Data.ToArray()); // copied into memory (training): no longer file-backed
        Assert.False(table.IsFileBacked);
        var row = new float[Dim];
        file.Widen(0, row, WeightPrecision.Float32); // the handle is still open, until the GC or CloseFile
        table.CloseFile();
        Assert.Throws<ObjectDisposedException>(() => file.Widen((long)(Rows - 1) * Dim, row, WeightPrecision.Float32)); // a row not read yet
        table.CloseFile(); // twice is fine
        Assert.Equal(values, table.Data.ToArray()); // the copy stays
    }

    [Fact]
    public void SixteenBitTablesStayInTheirFormatAndFrozen()
    {
        var (path, widened, bits) = Write(RandomValues(5), WeightPrecision.BFloat16);
        var table = new Parameter("t", FileValues.Open(path, Skip, Rows, Dim, WeightPrecision.BFloat16), WeightPrecision.BFloat16, [Rows, Dim], true);
        Assert.Equal(WeightPrecision.BFloat16, table.Precision);
        Assert.False(table.RequiresGrad);
        Assert.Throws<InvalidOperationException>(table.EnsureTrainable);
        var row = new float[Dim];
        table.Widen(Dim, row);
        Assert.Equal(widened.AsSpan(Dim, Dim).ToArray(), row);
        Assert.True(table.IsFileBacked);
        Assert.Equal(bits, table.Bits16.ToArray()); // copied into memory as stored
        Assert.False(table.IsFileBacked);
    }

    [Theory]
    [InlineData(WeightPrecision.Float32, WeightPrecision.BFloat16)]
    [InlineData(WeightPrecision.Float32, WeightPrecision.Float16)]
    [InlineData(WeightPrecision.Float16, WeightPrecision.BFloat16)]
    [InlineData(WeightPrecision.BFloat16, WeightPrecision.Float16)]
    public void ATableHeldNarrowerThanStoredReadsRoundedRows(WeightPrecision stored, WeightPrecision heldAs)
    {
        var (path, widened, _) = Write(RandomValues(7), stored);
        var table = new Parameter("t", FileValues.Open(path, Skip, Rows, Dim, stored), heldAs, [Rows, Dim], true);
        // What reading the whole tensor rounded to heldAs holds, value by value.
        var rounded = widened.Select(v => heldAs == WeightPrecision.BFloat16 ? Bf16.FromSingle(v) : F16.FromSingle(v)).ToArray();
        var row = new float[Dim];
        table.Widen(5 * Dim, row);
        for (int j = 0; j < Dim; j++)
        {
            float expected = heldAs == WeightPrecision.BFloat16 ? Bf16.ToSingle(rounded[5 * Dim + j]) : F16.ToSingle(rounded[5 * Dim + j]);
            Assert.Equal(expected, row[j]);
        }
        Assert.True(table.IsFileBacked);
        Assert.Equal(rounded, table.Bits16.ToArray());
        Assert.False(table.IsFileBacked);
    }

    [Fact]
    public void GathersRacingTheCopyReadTheSameRows()
    {
        var (path, widened, _) = Write(RandomValues(6), WeightPrecision.Float32);
        for (int round = 0; round < 20; round++)
        {
            var table = new Parameter("t", FileValues.Open(path, Skip, Rows, Dim, WeightPrecision.Float32), WeightPrecision.Float32, [Rows, Dim], true);
            var readers = Enumerable.Range(0, 3).Select(t => Task.Run(() =>
            {
                var row = new float[Dim];
                for (int i = 0; i < 2000; i++)
                {
                    int r = (i * 7 + t) % Rows;
                    table.Widen(r * Dim, row);
                    if (!row.AsSpan().SequenceEqual(widened.AsSpan(r * Dim, Dim))) return false;
                }
                return true;
            })).ToArray();
            _ = table.Data; // the copy, while the readers run
            Assert.All(readers.Select(t => t.Result), Assert.True);
            Assert.False(table.IsFileBacked);
        }
    }
}
