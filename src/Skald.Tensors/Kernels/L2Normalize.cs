using System.Numerics.Tensors;

namespace Skald.Tensors.Kernels;

/// <summary>
/// Row-wise L2 normalisation as torch.nn.functional.normalize (sentence-transformers' Normalize module):
/// y = x / max(‖x‖₂, 1e-12). Backward: dx = (dy − y·(y·dy)) / ‖x‖, or dy / 1e-12 where the norm was clamped.
/// </summary>
public static class L2Normalize
{
    /// <summary>The clamp of the norm.</summary>
    public const float Epsilon = 1e-12f;

    /// <summary>x, y: [rows, d] (may alias); norms: [rows] receives ‖x‖₂ (may be empty when not needed).</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> norms, int rows, int d)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * d, d);
            float norm = TensorPrimitives.Norm(xr);
            if (!norms.IsEmpty) norms[r] = norm;
            TensorPrimitives.Divide(xr, MathF.Max(norm, Epsilon), y.Slice(r * d, d));
        }
    }

    /// <summary>dx [rows, d] (overwritten) from y, the forward's norms and dy.</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> norms, ReadOnlySpan<float> dy, Span<float> dx,
        int rows, int d)
    {
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * d, d);
            var dyr = dy.Slice(r * d, d);
            var dxr = dx.Slice(r * d, d);
            if (norms[r] > Epsilon)
            {
                float dot = TensorPrimitives.Dot(yr, dyr);
                TensorPrimitives.MultiplyAdd(yr, -dot, dyr, dxr);
                TensorPrimitives.Divide(dxr, norms[r], dxr);
            }
            else
            {
                TensorPrimitives.Divide(dyr, Epsilon, dxr);
            }
        }
    }
}
