using System.Numerics.Tensors;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>y[i] = x[rows[i]] for rows [m] → [m, C]; the gradient scatter-adds back (rows may repeat).</summary>
    public static Variable SelectRows(Tape tape, Variable x, int[] rows)
    {
        int c = x.Cols;
        var y = tape.NewVariable(rows.Length, c);
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)x.Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"row {rows[i]} is outside [0, {x.Rows})");
            x.Span.Slice(rows[i] * c, c).CopyTo(y.Span.Slice(i * c, c));
        }
        if (tape.Records(y)) RecordSelectRows(tape, x, rows, y);
        return y;
    }

    private static void RecordSelectRows(Tape tape, Variable x, int[] rows, Variable y) => tape.Record(y, () => tape.WriteGrad(x, dx =>
    {
        int c = x.Cols;
        dx.Clear();
        for (int i = 0; i < rows.Length; i++)
        {
            var d = dx.Slice(rows[i] * c, c);
            TensorPrimitives.Add(d, y.Grad.Slice(i * c, c), d);
        }
    }));

    /// <summary>
    /// The inverse of <see cref="SelectRows"/> for distinct rows: y [total, C] is 0 except y[rows[i]] = x[i] (unpadded
    /// token states put back into their padded batch, <see cref="UnpaddedRows"/>); the gradient is dy's rows gathered.
    /// </summary>
    public static Variable ScatterRows(Tape tape, Variable x, int[] rows, int total)
    {
        if (rows.Length != x.Rows) throw new ArgumentException($"rows has {rows.Length} entries for x's {x.Rows} rows", nameof(rows));
        int c = x.Cols;
        var y = tape.NewVariable(total, c);
        var ys = y.Span;
        ys.Clear();
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)total) throw new ArgumentOutOfRangeException(nameof(rows), $"row {rows[i]} is outside [0, {total})");
            x.Span.Slice(i * c, c).CopyTo(ys.Slice(rows[i] * c, c));
        }
        if (tape.Records(y)) RecordScatterRows(tape, x, rows, y);
        return y;
    }

    // ScatterRows' backward, in a method of its own: captured parameters would allocate their closure on every call.
    private static void RecordScatterRows(Tape tape, Variable x, int[] rows, Variable y) => tape.Record(y, () => tape.WriteGrad(x, dx =>
    {
        int c = x.Cols;
        for (int i = 0; i < rows.Length; i++) y.Grad.Slice(rows[i] * c, c).CopyTo(dx.Slice(i * c, c));
    }));

    /// <summary>
    /// y = x[:, start..start + count) for x [N, C] → [N, count] (a fused projection's parts, such as ModernBERT's Wqkv
    /// output split into q, k, v); the gradient adds into those columns of dx.
    /// </summary>
    public static Variable Columns(Tape tape, Variable x, int start, int count)
    {
        if (start < 0 || count <= 0 || start + count > x.Cols)
            throw new ArgumentOutOfRangeException(nameof(start), $"columns [{start}, {start + count}) are outside [0, {x.Cols})");
        int n = x.Rows, c = x.Cols;
        var y = tape.NewVariable(n, count);
        var xs = x.Span;
        var ys = y.Span;
        for (int r = 0; r < n; r++) xs.Slice(r * c + start, count).CopyTo(ys.Slice(r * count, count));
        if (tape.Records(y)) RecordColumns(tape, x, start, y);
        return y;
    }

    private static void RecordColumns(Tape tape, Variable x, int start, Variable y) => tape.Record(y, () =>
    {
        if (!x.RequiresGrad) return;
        int n = x.Rows, c = x.Cols, count = y.Cols;
        var g = tape.GradFor(x, out bool accumulate).AsSpan(0, x.Length);
        if (!accumulate) g.Clear();
        var dy = y.Grad;
        for (int r = 0; r < n; r++)
        {
            var d = g.Slice(r * c + start, count);
            TensorPrimitives.Add(d, dy.Slice(r * count, count), d);
        }
    });

    /// <summary>y = s · x (Gemma's embedding normaliser √C).</summary>
    public static Variable Scale(Tape tape, Variable x, float s)
    {
        var y = tape.NewVariable(x.Rows, x.Cols);
        TensorPrimitives.Multiply(x.Span, s, y.Span);
        if (tape.Records(y)) RecordScale(tape, x, s, y);
        return y;
    }

    private static void RecordScale(Tape tape, Variable x, float s, Variable y) =>
        tape.Record(y, () => tape.WriteGrad(x, dx => TensorPrimitives.Multiply(y.Grad, s, dx)));

    /// <summary>
    /// Soft-capping y = c · tanh(x / c) (Gemma 2's final_logit_softcapping); dx = dy · (1 − (y/c)²).
    /// </summary>
    public static Variable SoftCap(Tape tape, Variable x, float cap)
    {
        if (!(cap > 0f)) throw new ArgumentOutOfRangeException(nameof(cap), "the cap must be positive");
        var y = tape.NewVariable(x.Rows, x.Cols);
        TensorPrimitives.Divide(x.Span, cap, y.Span);
        TensorPrimitives.Tanh(y.Span, y.Span);
        TensorPrimitives.Multiply(y.Span, cap, y.Span);
        if (tape.Records(y)) RecordSoftCap(tape, x, cap, y);
        return y;
    }

    private static void RecordSoftCap(Tape tape, Variable x, float cap, Variable y) => tape.Record(y, () => tape.WriteGrad(x, dx =>
    {
        var ys = y.Span;
        var dy = y.Grad;
        for (int i = 0; i < dx.Length; i++)
        {
            float t = ys[i] / cap;
            dx[i] = dy[i] * (1f - t * t);
        }
    }));
}
