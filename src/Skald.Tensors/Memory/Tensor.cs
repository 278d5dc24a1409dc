using System.Buffers;

namespace Skald.Tensors;

/// <summary>
/// A dense float32 tensor: row-major, contiguous, over a float[] that is either rented from
/// <see cref="ArrayPool{T}.Shared"/> (owned: returned on <see cref="Dispose"/>), carved from a <see cref="TensorArena"/>,
/// or wrapped from caller memory. Views (<see cref="Slice"/>, <see cref="Reshape"/>, <see cref="Row"/>) share the
/// storage without copying and never return it to the pool.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly int[] shape;
    private float[]? data;
    private readonly int offset;
    private readonly bool owned;

    private Tensor(float[] data, int offset, int[] shape, bool owned)
    {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
        this.owned = owned;
        Length = CheckedLength(shape);
        if ((long)offset + Length > data.Length) throw new ArgumentException("Shape exceeds the storage.");
    }

    /// <summary>Number of elements (product of the shape).</summary>
    public int Length { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => shape.Length;

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>The elements (row-major).</summary>
    public Span<float> Span => Storage.AsSpan(offset, Length);

    /// <summary>The elements as <see cref="Memory{T}"/> (for storing in fields or async code).</summary>
    public Memory<float> Memory => Storage.AsMemory(offset, Length);

    /// <summary>Whether this tensor returns its storage to the pool on <see cref="Dispose"/>.</summary>
    public bool OwnsStorage => owned;

    private float[] Storage => data ?? throw new ObjectDisposedException(nameof(Tensor));

    /// <summary>Size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int Dim(int axis) => shape[axis < 0 ? shape.Length + axis : axis];

    /// <summary>A zero-filled tensor rented from the shared pool (dispose it to return the memory).</summary>
    public static Tensor Zeros(params int[] shape)
    {
        var t = Uninitialized(shape);
        t.Span.Clear();
        return t;
    }

    /// <summary>A tensor rented from the shared pool with unspecified contents.</summary>
    public static Tensor Uninitialized(params int[] shape)
    {
        int n = CheckedLength(shape);
        return new Tensor(ArrayPool<float>.Shared.Rent(Math.Max(n, 1)), 0, (int[])shape.Clone(), owned: true);
    }

    /// <summary>Wraps caller memory without copying (not returned to any pool).</summary>
    public static Tensor Wrap(float[] data, params int[] shape) => new(data, 0, (int[])shape.Clone(), owned: false);

    /// <summary>Wraps a segment of caller memory without copying.</summary>
    public static Tensor Wrap(ArraySegment<float> segment, params int[] shape) =>
        new(segment.Array ?? throw new ArgumentException("Empty segment.", nameof(segment)), segment.Offset,
            (int[])shape.Clone(), owned: false);

    /// <summary>View of rows [start, start + count) along the first dimension (no copy).</summary>
    public Tensor Slice(int start, int count)
    {
        if (Rank == 0) throw new InvalidOperationException("Cannot slice a scalar.");
        if (start < 0 || count < 0 || start + count > shape[0]) throw new ArgumentOutOfRangeException(nameof(start));
        int inner = shape[0] == 0 ? 0 : Length / shape[0];
        var s = (int[])shape.Clone();
        s[0] = count;
        return new Tensor(Storage, offset + start * inner, s, owned: false);
    }

    /// <summary>View of row <paramref name="index"/> of the first dimension, with that dimension removed (no copy).</summary>
    public Tensor Row(int index)
    {
        var view = Slice(index, 1);
        return new Tensor(Storage, view.offset, shape[1..], owned: false);
    }

    /// <summary>The same elements under another shape (no copy); one dimension may be -1 (inferred).</summary>
    public Tensor Reshape(params int[] newShape)
    {
        var s = (int[])newShape.Clone();
        int infer = Array.IndexOf(s, -1);
        if (infer >= 0)
        {
            long known = 1;
            for (int i = 0; i < s.Length; i++) if (i != infer) known *= s[i];
            if (known == 0 || Length % known != 0) throw new ArgumentException("Cannot infer the -1 dimension.");
            s[infer] = (int)(Length / known);
        }
        if (CheckedLength(s) != Length)
            throw new ArgumentException($"Cannot reshape {Length} elements to [{string.Join(", ", s)}].");
        return new Tensor(Storage, offset, s, owned: false);
    }

    /// <summary>Element at a 2-D index (row-major).</summary>
    public ref float At(int i, int j)
    {
        if (Rank != 2) throw new InvalidOperationException("At(i, j) needs a rank-2 tensor.");
        if ((uint)i >= (uint)shape[0] || (uint)j >= (uint)shape[1]) throw new IndexOutOfRangeException();
        return ref Storage[offset + i * shape[1] + j];
    }

    /// <summary>Returns pooled storage (owned tensors only); views and wrapped tensors just become unusable.</summary>
    public void Dispose()
    {
        var d = data;
        data = null;
        if (owned && d is not null) ArrayPool<float>.Shared.Return(d);
    }

    /// <inheritdoc />
    public override string ToString() => $"Tensor[{string.Join(", ", shape)}]";

    internal static Tensor OverArena(float[] block, int offset, int[] shape) => new(block, offset, shape, owned: false);

    internal static int CheckedLength(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), "Dimensions must be >= 0.");
            n *= d;
            if (n > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(shape), "Tensor too large.");
        }
        return (int)n;
    }
}
