using System.Runtime.Intrinsics;

namespace Skald.Tensors.Quantization;

public static unsafe partial class Bf16Gemm
{
    // y[row0 + r, col0 .. col0 + cols] = acc[r, ..] + bias, then the activation: exact GELU on the registers (GeluOf,
    // whose lanes equal its scalar form bit for bit, so the vector and the scalar branch, the twin's, agree); GELU (tanh)
    // on the registers through the 16 lanes the GELU (tanh) kernel uses, a row's tail (and the scalar twin's row) stored
    // first and then run through that kernel, which pads a tail into the same lanes: the same bits wherever a value sits.
    private static void Store(in Product p, float* acc, int row0, int rows, int col0, int cols, int ldy)
    {
        float* bias = (float*)p.Bias, y = (float*)p.Y;
        bool gelu = p.Epilogue == Epilogue.Gelu, tanh = p.Epilogue == Epilogue.GeluTanh;
        bool vector = !p.Scalar && Vector512.IsHardwareAccelerated;
        for (int r = 0; r < rows; r++)
        {
            float* ar = acc + r * Width, yr = y + (long)(row0 + r) * ldy + col0;
            int c = 0;
            if (vector)
            {
                for (; c <= cols - Vector512<float>.Count; c += Vector512<float>.Count)
                {
                    var v = Vector512.Load(ar + c);
                    if (bias != null) v += Vector512.Load(bias + col0 + c);
                    if (gelu) v = Kernels.Activations.GeluOf(v);
                    else if (tanh) v = Kernels.Activations.GeluTanhOf(v);
                    v.Store(yr + c);
                }
            }
            int tail = c;
            for (; c < cols; c++)
            {
                float v = ar[c];
                if (bias != null) v += bias[col0 + c];
                yr[c] = gelu ? Kernels.Activations.GeluOf(v) : v;
            }
            if (tanh && tail < cols) GeluTanhRow(yr + tail, cols - tail);
        }
    }

    // The GELU (tanh) kernel in place over a stored row piece.
    private static void GeluTanhRow(float* y, int count) => Kernels.Activations.RowKernel(Autograd.ActivationKind.GeluTanh)(y, y, count);

    // A gated tile: acc[r, 0..16) are gate columns col0.., acc[r, 16..32) their up columns (the weight's rows I + col0..);
    // the bias added to each (the same float add either way), then the gated MLP's row kernel writes
    // y[row0 + r, col0 .. col0 + 16) = f(gate) ⊙ up, as Kernels.GatedActivation.Forward does over the unfused [m, 2I].
    private static void StoreGated(in Product p, float* acc, int row0, int rows, int col0, int ldy)
    {
        const int w = Bf16Matrix.PanelWidth;
        float* bias = (float*)p.Bias, y = (float*)p.Y;
        bool vector = !p.Scalar && Vector512.IsHardwareAccelerated;
        for (int r = 0; r < rows; r++)
        {
            float* gate = acc + r * Width, up = gate + w;
            if (bias != null)
            {
                float* bg = bias + col0, bu = bias + ldy + col0;
                if (vector)
                {
                    (Vector512.Load(gate) + Vector512.Load(bg)).Store(gate);
                    (Vector512.Load(up) + Vector512.Load(bu)).Store(up);
                }
                else
                {
                    for (int c = 0; c < w; c++)
                    {
                        gate[c] += bg[c];
                        up[c] += bu[c];
                    }
                }
            }
            Kernels.GatedActivation.ForwardRow(gate, up, y + (long)(row0 + r) * ldy + col0, w, p.Gate);
        }
    }
}
