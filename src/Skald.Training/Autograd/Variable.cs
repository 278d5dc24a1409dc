namespace Skald.Training.Autograd;

/// <summary>
/// A tensor on a <see cref="Tape"/>: values (row-major [Rows, Cols], arena memory valid until the tape is reset) and,
/// during <see cref="Tape.Backward"/>, its gradient. Gradients of variables are pooled buffers that live from the first
/// consumer's backward to the producer's backward; parameter gradients live in <see cref="Parameter.Grad"/>.
/// </summary>
public sealed class Variable
{
    internal Variable(Memory<float> data, int rows, int cols, bool requiresGrad)
    {
        if ((long)rows * cols != data.Length) throw new ArgumentException($"[{rows}, {cols}] does not match {data.Length} values");
        Data = data;
        Rows = rows;
        Cols = cols;
        RequiresGrad = requiresGrad;
    }

    /// <summary>Values, [Rows, Cols] row-major.</summary>
    public Memory<float> Data { get; }

    /// <summary>Values as a span.</summary>
    public Span<float> Span => Data.Span;

    /// <summary>Rows.</summary>
    public int Rows { get; }

    /// <summary>Columns.</summary>
    public int Cols { get; }

    /// <summary>Rows · Cols.</summary>
    public int Length => Data.Length;

    /// <summary>Whether backward passes compute a gradient for this variable.</summary>
    public bool RequiresGrad { get; }

    /// <summary>True while a gradient buffer is attached (between the first consumer's and the producer's backward).</summary>
    public bool HasGrad => GradArray is not null;

    /// <summary>The gradient (only while <see cref="HasGrad"/>).</summary>
    public Span<float> Grad => GradArray is { } g ? g.AsSpan(0, Length) : throw new InvalidOperationException("no gradient attached");

    internal float[]? GradArray { get; set; }
}
