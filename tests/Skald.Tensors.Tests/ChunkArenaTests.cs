using System.Runtime.InteropServices;
using Skald.Tensors.Memory;

namespace Skald.Tensors.Tests;

/// <summary>
/// <see cref="ChunkArena"/>'s placement: a block larger than a chunk gets a chunk of its own with one chunk's room
/// after it, so the blocks that follow it go on in that chunk rather than into a new one; a rewound pass places every
/// block where the first pass did.
/// </summary>
public sealed class ChunkArenaTests
{
    private static float[] ArrayOf(Memory<float> m) => MemoryMarshal.TryGetArray<float>(m, out var segment) ? segment.Array! : throw new InvalidOperationException();

    private static int OffsetOf(Memory<float> m) => MemoryMarshal.TryGetArray<float>(m, out var segment) ? segment.Offset : -1;

    [Fact]
    public void BlocksAfterAnOversizedOneGoOnInItsChunk()
    {
        var arena = new ChunkArena(chunkFloats: 128);
        var small = arena.Allocate(100);
        var big = arena.Allocate(300); // more than a chunk: a chunk of 304 (padded) + 128
        var after = arena.Allocate(64);
        var next = arena.Allocate(48);
        Assert.NotSame(ArrayOf(small), ArrayOf(big));
        Assert.Same(ArrayOf(big), ArrayOf(after));
        Assert.Same(ArrayOf(big), ArrayOf(next));
        Assert.Equal(304, OffsetOf(after)); // 300 padded to 16 floats
        Assert.Equal(128 + 304 + 128, arena.CapacityFloats);
        Assert.Equal(arena.CapacityFloats, 128 + ArrayOf(big).Length);
    }

    [Fact]
    public void ARewoundPassPlacesEveryBlockAsTheFirstDid()
    {
        var arena = new ChunkArena(chunkFloats: 128);
        int[] sizes = [100, 300, 64, 500, 20, 128, 7];
        var first = sizes.Select(n => arena.Allocate(n)).ToArray();
        long capacity = arena.CapacityFloats;
        arena.Reset();
        var second = sizes.Select(n => arena.Allocate(n)).ToArray();
        Assert.Equal(capacity, arena.CapacityFloats);
        for (int i = 0; i < sizes.Length; i++)
        {
            Assert.Same(ArrayOf(first[i]), ArrayOf(second[i]));
            Assert.Equal(OffsetOf(first[i]), OffsetOf(second[i]));
            Assert.Equal(sizes[i], second[i].Length);
        }
    }
}
