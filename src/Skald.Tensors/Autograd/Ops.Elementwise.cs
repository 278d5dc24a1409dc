using System.Numerics.Tensors;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>y = f(x). Identity returns x.</summary>
    public static Variable Activation(Tape tape, Variable x, ActivationKind kind)
    {
        if (kind == ActivationKind.Identity) return x;
        var y = tape.NewVariable(x.Rows, x.Cols);
        switch (kind)
        {
            case ActivationKind.Gelu: Activations.Gelu(x.Span, y.Span); break;
            case ActivationKind.GeluTanh: Activations.GeluTanh(x.Span, y.Span); break;
            case ActivationKind.Relu: Activations.Relu(x.Span, y.Span); break;
            case ActivationKind.Tanh: Activations.Tanh(x.Span, y.Span); break;
            case ActivationKind.Sigmoid: TensorPrimitives.Sigmoid(x.Span, y.Span); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
        if (tape.Records(y)) RecordActivation(tape, x, kind, y);
        return y;
    }

    private static void RecordActivation(Tape tape, Variable x, ActivationKind kind, Variable y) =>
        tape.Record(y, () => tape.WriteGrad(x, dx =>
        {
            switch (kind)
            {
                case ActivationKind.Gelu: Activations.GeluBackward(x.Span, y.Grad, dx); break;
                case ActivationKind.GeluTanh: Activations.GeluTanhBackward(x.Span, y.Grad, dx); break;
                case ActivationKind.Relu: Activations.ReluBackward(x.Span, y.Grad, dx); break;
                case ActivationKind.Tanh: Activations.TanhBackward(y.Span, y.Grad, dx); break;
                default:
                    // σ′ = y(1 − y)
                    var ys = y.Span;
                    var dy = y.Grad;
                    for (int i = 0; i < dx.Length; i++) dx[i] = dy[i] * ys[i] * (1f - ys[i]);
                    break;
            }
        }));

    /// <summary>Inverted dropout (<see cref="Kernels.Dropout"/>; one draw from <see cref="Tape.Random"/>). p = 0 returns x.</summary>
    public static Variable Dropout(Tape tape, Variable x, float p)
    {
        if (p == 0f) return x;
        ulong seed = DropoutSeed(tape, p);
        var y = tape.NewVariable(x.Rows, x.Cols);
        Kernels.Dropout.Apply(x.Span, y.Span, p, seed);
        if (tape.Records(y)) RecordDropout(tape, x, p, seed, y);
        return y;
    }

    private static void RecordDropout(Tape tape, Variable x, float p, ulong seed, Variable y) =>
        tape.Record(y, () => tape.WriteGrad(x, dx => Kernels.Dropout.Apply(y.Grad, dx, p, seed)));

    /// <summary>y = a + b (same shapes).</summary>
    public static Variable Add(Tape tape, Variable a, Variable b)
    {
        if (a.Length != b.Length) throw new ArgumentException("shapes differ");
        var y = tape.NewVariable(a.Rows, a.Cols);
        TensorPrimitives.Add(a.Span, b.Span, y.Span);
        if (tape.Records(y)) RecordAdd(tape, a, b, y);
        return y;
    }

    private static void RecordAdd(Tape tape, Variable a, Variable b, Variable y) => tape.Record(y, () =>
    {
        tape.WriteGrad(a, dx => y.Grad.CopyTo(dx));
        tape.WriteGrad(b, dx => y.Grad.CopyTo(dx));
    });

    /// <summary>The first <paramref name="dims"/> columns of every row (Matryoshka truncation).</summary>
    public static Variable Truncate(Tape tape, Variable x, int dims)
    {
        if (dims <= 0 || dims > x.Cols) throw new ArgumentOutOfRangeException(nameof(dims));
        var y = tape.NewVariable(x.Rows, dims);
        for (int r = 0; r < x.Rows; r++) x.Span.Slice(r * x.Cols, dims).CopyTo(y.Span.Slice(r * dims, dims));
        if (tape.Records(y)) RecordTruncate(tape, x, dims, y);
        return y;
    }

    private static void RecordTruncate(Tape tape, Variable x, int dims, Variable y) => tape.Record(y, () => tape.WriteGrad(x, dx =>
    {
        dx.Clear();
        for (int r = 0; r < x.Rows; r++) y.Grad.Slice(r * dims, dims).CopyTo(dx.Slice(r * x.Cols, dims));
    }));

    /// <summary>The seed of one dropout op: one draw from the tape's generator when p &gt; 0.</summary>
    private static ulong DropoutSeed(Tape tape, float p)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), "dropout must be in [0, 1)");
        if (p == 0f) return 0UL;
        return (tape.Random ?? throw new InvalidOperationException("dropout needs the tape's Random generator")).NextUInt64();
    }
}
