namespace Skald.Tensors.Tests;

public sealed class TensorTests
{
    [Fact]
    public void ZerosHasShapeAndViewsShareStorage()
    {
        using var t = Tensor.Zeros(2, 3, 4);
        Assert.Equal(24, t.Length);
        Assert.Equal(3, t.Rank);
        Assert.Equal(new[] { 2, 3, 4 }, t.Shape.ToArray());
        Assert.Equal(4, t.Dim(-1));
        Assert.True(t.OwnsStorage);
        Assert.All(t.Span.ToArray(), v => Assert.Equal(0f, v));

        var row = t.Row(1);
        Assert.Equal(new[] { 3, 4 }, row.Shape.ToArray());
        row.At(2, 3) = 7f;
        Assert.Equal(7f, t.Span[12 + 11]);

        var flat = t.Reshape(-1, 4);
        Assert.Equal(new[] { 6, 4 }, flat.Shape.ToArray());
        var slice = flat.Slice(5, 1);
        Assert.Equal(7f, slice.Span[3]);
        Assert.False(slice.OwnsStorage);
        Assert.Throws<ArgumentException>(() => t.Reshape(5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Slice(1, 2));
    }

    [Fact]
    public void WrapDoesNotCopyAndDisposeInvalidates()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        var t = Tensor.Wrap(data, 2, 3);
        t.Span[0] = 10f;
        Assert.Equal(10f, data[0]);
        var tail = Tensor.Wrap(new ArraySegment<float>(data, 3, 3), 3);
        Assert.Equal(new float[] { 4, 5, 6 }, tail.Span.ToArray());
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.Span.Length);
        Assert.Equal(10f, data[0]);
    }

    [Fact]
    public void ArenaBumpAllocatesAlignedAndStopsAllocatingAfterWarmUp()
    {
        var arena = new TensorArena(100);
        for (int step = 0; step < 4; step++)
        {
            var a = arena.Allocate(10);
            var b = arena.AllocateZeroed(33);
            using var t = arena.AllocateTensor(8, 16);
            Assert.Equal(10, a.Length);
            Assert.All(b.ToArray(), v => Assert.Equal(0f, v));
            t.Span.Fill(1f);
            Assert.All(b.ToArray(), v => Assert.Equal(0f, v)); // no overlap
            Assert.Equal(16 + 48 + 128, arena.Used);
            AssertAligned(a);
            AssertAligned(b);
            AssertAligned(t.Memory);
            arena.Reset();
        }
        Assert.Equal(2, arena.BlockAllocations); // grew once, at the first Reset
        Assert.True(arena.Capacity >= 192);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            arena.Allocate(10).Span[0] = 1f;
            arena.Allocate(100).Span[99] = 2f;
            arena.Reset();
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    private static unsafe void AssertAligned(Memory<float> m)
    {
        using var h = m.Pin();
        Assert.Equal(0, (long)h.Pointer % 64);
    }
}

public sealed class SkaldRandomStateTests
{
    [Fact]
    public void RestoredStateContinuesTheSameSequence()
    {
        var a = new Skald.Tensors.SkaldRandom(42);
        for (int i = 0; i < 10; i++) a.NextUInt32();
        a.NextGaussian(); // leaves a spare Gaussian in the state
        var saved = a.SaveState();
        var expected = new[] { a.NextGaussian(), a.NextDouble(), a.NextUInt32() };
        var b = new Skald.Tensors.SkaldRandom(7);
        b.RestoreState(saved);
        Assert.Equal(expected, new[] { b.NextGaussian(), b.NextDouble(), b.NextUInt32() });
    }
}
