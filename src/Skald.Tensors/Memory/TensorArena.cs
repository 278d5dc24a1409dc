using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Skald.Tensors;

/// <summary>
/// Bump allocator over one long-lived pinned float block, for the activations of one step: allocate freely, then
/// <see cref="Reset"/> between steps. A request that does not fit is served from an overflow array and raises the
/// high-water mark; the next <see cref="Reset"/> grows the block to it, so from the second step on a steady-state step
/// allocates no tensor memory (<see cref="Allocate"/> allocates nothing at all; <see cref="AllocateTensor"/> only a small
/// header object). Every allocation starts 64-byte aligned. Not thread-safe.
/// </summary>
public sealed class TensorArena
{
    private const int Align = 16; // floats = 64 bytes
    private float[] block;
    private int baseOffset;
    private int used;
    private long highWater;
    private long requested;

    /// <summary>An arena with room for <paramref name="capacity"/> floats (grows on <see cref="Reset"/> when exceeded).</summary>
    public TensorArena(int capacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        block = NewBlock(capacity, out baseOffset);
        Capacity = capacity;
    }

    /// <summary>Usable floats in the block.</summary>
    public int Capacity { get; private set; }

    /// <summary>Floats handed out since the last reset (including alignment padding).</summary>
    public long Used => requested;

    /// <summary>The largest <see cref="Used"/> seen so far.</summary>
    public long HighWater => Math.Max(highWater, requested);

    /// <summary>Number of times the block was (re)allocated, including construction.</summary>
    public int BlockAllocations { get; private set; } = 1;

    /// <summary>Uninitialised memory for <paramref name="length"/> floats, valid until <see cref="Reset"/>.</summary>
    public Memory<float> Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int padded = RoundUp(length);
        requested += padded;
        if ((long)used + padded <= Capacity)
        {
            var m = block.AsMemory(baseOffset + used, length);
            used += padded;
            return m;
        }
        // Overflow: served from its own aligned array, counted in the high-water mark, folded into the block at Reset.
        var overflow = NewBlock(length, out int off);
        return overflow.AsMemory(off, length);
    }

    /// <summary>Zero-filled memory for <paramref name="length"/> floats, valid until <see cref="Reset"/>.</summary>
    public Memory<float> AllocateZeroed(int length)
    {
        var m = Allocate(length);
        m.Span.Clear();
        return m;
    }

    /// <summary>An uninitialised tensor view over arena memory (valid until <see cref="Reset"/>; Dispose is a no-op).</summary>
    public Tensor AllocateTensor(params int[] shape)
    {
        int n = Tensor.CheckedLength(shape);
        var m = Allocate(n);
        if (!MemoryMarshal.TryGetArray<float>(m, out var segment) || segment.Array is null)
            throw new InvalidOperationException("Arena memory is not array-backed.");
        return Tensor.OverArena(segment.Array, segment.Offset, (int[])shape.Clone());
    }

    /// <summary>Releases everything allocated since the last reset; grows the block to the high-water mark if needed.</summary>
    public void Reset()
    {
        highWater = Math.Max(highWater, requested);
        if (highWater > Capacity)
        {
            if (highWater > Array.MaxLength - 2 * Align) throw new OutOfMemoryException("Arena high-water mark too large.");
            Capacity = (int)highWater;
            block = NewBlock(Capacity, out baseOffset);
            BlockAllocations++;
        }
        used = 0;
        requested = 0;
    }

    private static int RoundUp(int n) => (n + Align - 1) & ~(Align - 1);

    private static unsafe float[] NewBlock(int capacity, out int offset)
    {
        var b = GC.AllocateUninitializedArray<float>(capacity + Align, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(b));
        offset = (int)((64 - (p & 63)) & 63) / sizeof(float);
        return b;
    }
}
