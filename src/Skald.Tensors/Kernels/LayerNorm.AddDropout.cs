using System.Numerics.Tensors;

namespace Skald.Tensors.Kernels;

// LayerNorm, continued: the backward pass of BERT's sub-layer output (dropout, residual add, LayerNorm).
public static unsafe partial class LayerNorm
{
    /// <summary>
    /// The backward pass of <see cref="AddDropoutForward"/> (y = LayerNorm(dropout(a) + residual)) in the LayerNorm
    /// backward's one parallel pass: each row's dx, once computed, is copied into <paramref name="residualGrad"/> (added
    /// to it when <paramref name="accumulate"/>; empty: the residual takes no gradient), then dropped out in place with
    /// the forward's mask (<see cref="Dropout"/>'s for (<paramref name="seed"/>, element index); p = 0: none), so dx ends
    /// as a's gradient. The same bytes as <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, int, int)"/>,
    /// a copy (or vector add) and <see cref="Dropout.Apply"/> in turn, without two more passes over the rows.
    /// </summary>
    internal static void AddDropoutBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx, Span<float> residualGrad, bool accumulate,
        Span<float> dgamma, Span<float> dbeta, int rows, int cols, float dropout, ulong seed)
    {
        if (!(dropout is >= 0f and < 1f)) throw new ArgumentOutOfRangeException(nameof(dropout), "dropout must be in [0, 1)");
        if (dx.Length < (long)rows * cols) throw new ArgumentException("dx needs rows·cols elements.", nameof(dx));
        if (!residualGrad.IsEmpty && residualGrad.Length < (long)rows * cols)
            throw new ArgumentException("residualGrad needs rows·cols elements (or none).", nameof(residualGrad));
        Backward(dy, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, cols, residualGrad, accumulate, dropout, seed);
    }

    /// <summary>One row of <see cref="AddDropoutBackward"/> after its dx: the residual's gradient (residual null: none), then dx's dropout.</summary>
    private static void ResidualAndDropoutRow(float* dx, float* residual, long offset, int cols, bool accumulate, float dropout, ulong seed)
    {
        var row = new Span<float>(dx, cols);
        if (residual != null)
        {
            var r = new Span<float>(residual + offset, cols);
            if (accumulate) TensorPrimitives.Add(r, row, r);
            else row.CopyTo(r);
        }
        if (dropout > 0f) Dropout.ApplySlice(row, row, dropout, seed, offset);
    }
}
