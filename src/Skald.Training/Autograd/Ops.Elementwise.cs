using System.Numerics.Tensors;
using Skald.Tensors;
using Skald.Tensors.Kernels;

namespace Skald.Training.Autograd;

/// <summary>Element-wise activations the encoders and Dense modules use.</summary>
public enum ActivationKind
{
    /// <summary>y = x.</summary>
    Identity,
    /// <summary>Exact (erf) GELU, HF "gelu", torch.nn.GELU.</summary>
    Gelu,
    /// <summary>Tanh-approximated GELU, HF "gelu_new" / "gelu_pytorch_tanh".</summary>
    GeluTanh,
    /// <summary>max(0, x).</summary>
    Relu,
    /// <summary>tanh(x) (Dense default).</summary>
    Tanh,
    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,
}

public static partial class Ops
{
    /// <summary>y = f(x).</summary>
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
        return y;
    }

    /// <summary>Inverted dropout (HashDropout; one draw from <paramref name="random"/>). p = 0 returns x.</summary>
    public static Variable Dropout(Tape tape, Variable x, float p, SkaldRandom random)
    {
        if (p == 0f) return x;
        ulong seed = DropoutSeed(p, random);
        var y = tape.NewVariable(x.Rows, x.Cols);
        HashDropout.Apply(x.Span, y.Span, p, seed);
        tape.Record(y, () => tape.WriteGrad(x, dx => HashDropout.Apply(y.Grad, dx, p, seed)));
        return y;
    }

    /// <summary>y = a + b (same shapes).</summary>
    public static Variable Add(Tape tape, Variable a, Variable b)
    {
        if (a.Length != b.Length) throw new ArgumentException("shapes differ");
        var y = tape.NewVariable(a.Rows, a.Cols);
        TensorPrimitives.Add(a.Span, b.Span, y.Span);
        tape.Record(y, () =>
        {
            tape.WriteGrad(a, dx => y.Grad.CopyTo(dx));
            tape.WriteGrad(b, dx => y.Grad.CopyTo(dx));
        });
        return y;
    }

    /// <summary>The first <paramref name="dims"/> columns of every row (Matryoshka truncation).</summary>
    public static Variable Truncate(Tape tape, Variable x, int dims)
    {
        if (dims <= 0 || dims > x.Cols) throw new ArgumentOutOfRangeException(nameof(dims));
        var y = tape.NewVariable(x.Rows, dims);
        for (int r = 0; r < x.Rows; r++) x.Span.Slice(r * x.Cols, dims).CopyTo(y.Span.Slice(r * dims, dims));
        tape.Record(y, () => tape.WriteGrad(x, dx =>
        {
            dx.Clear();
            for (int r = 0; r < x.Rows; r++) y.Grad.Slice(r * dims, dims).CopyTo(dx.Slice(r * x.Cols, dims));
        }));
        return y;
    }
}
