namespace Skald.Tensors.Autograd;

/// <summary>
/// A tensor on a <see cref="Tape"/>: values (row-major [Rows, Cols], arena memory valid until the tape is reset) and,
/// during <see cref="Tape.Backward"/>, its gradient. Gradients of variables are pooled buffers that live from the first
/// consumer's backward to the producer's backward; parameter gradients live in <see cref="Parameter.Grad"/>.
/// Variables are recycled by their tape after <see cref="Tape.Reset"/>, so a forward pass allocates no objects once
/// the tape is warm.
/// </summary>
public sealed class Variable
{
    internal Variable()
    {
    }

    /// <summary>Values, [Rows, Cols] row-major.</summary>
    public Memory<float> Data { get; private set; }

    /// <summary>Values as a span.</summary>
    public Span<float> Span => Data.Span;

    /// <summary>Rows.</summary>
    public int Rows { get; private set; }

    /// <summary>Columns.</summary>
    public int Cols { get; private set; }

    /// <summary>Rows · Cols.</summary>
    public int Length => Data.Length;

    /// <summary>Whether backward passes compute a gradient for this variable.</summary>
    public bool RequiresGrad { get; private set; }

    /// <summary>True while a gradient buffer is attached (between the first consumer's and the producer's backward).</summary>
    public bool HasGrad => GradArray is not null;

    /// <summary>The gradient (only while <see cref="HasGrad"/>).</summary>
    public Span<float> Grad => GradArray is { } g ? g.AsSpan(0, Length) : throw new InvalidOperationException("no gradient attached");

    internal float[]? GradArray { get; set; }

    /// <summary>(Re)binds this object to new values; clears any gradient.</summary>
    internal void Bind(Memory<float> data, int rows, int cols, bool requiresGrad)
    {
        if ((long)rows * cols != data.Length) throw new ArgumentException($"[{rows}, {cols}] does not match {data.Length} values");
        Data = data;
        Rows = rows;
        Cols = cols;
        RequiresGrad = requiresGrad;
        GradArray = null;
    }

    /// <summary>Moves the values to <paramref name="data"/> (same length), keeping the shape.</summary>
    internal void Move(Memory<float> data) => Data = data;
}
