namespace Skald.Tensors.Kernels;

/// <summary>
/// Multi-head scaled dot-product attention on the [B, T, C] layout (C = H·D, head h owns columns h·D..h·D+D).
/// out[b, t, h] = Σ_s softmax_s(scale · q[b,t,h]·k[b,s,h] + maskBias[b, s]) · v[b, s, h].
/// </summary>
public static class Attention
{
    /// <summary>
    /// Forward. q, k, v, output: [B, T, C] with row stride <paramref name="ldIn"/> for q/k/v (lets them be column slices of
    /// one fused [B, T, 3C] buffer) and C for output. maskBias: [B, T] added to every score row (0 keeps, large negative
    /// masks a key). probs: [B, H, T, T], kept for the backward pass.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int ldIn,
        ReadOnlySpan<float> maskBias, Span<float> output, Span<float> probs, int batch, int seq, int heads, int headDim,
        float scale)
    {
        int c = heads * headDim;
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        {
            var p = probs.Slice(((b * heads) + h) * seq * seq, seq * seq);
            for (int t = 0; t < seq; t++)
            {
                for (int s = 0; s < seq; s++)
                {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                        dot += q[(b * seq + t) * ldIn + h * headDim + d] * k[(b * seq + s) * ldIn + h * headDim + d];
                    p[t * seq + s] = (float)(dot * scale) + maskBias[b * seq + s];
                }
            }
            Softmax.Forward(p, p, seq, seq);
            for (int t = 0; t < seq; t++)
            for (int d = 0; d < headDim; d++)
            {
                double acc = 0;
                for (int s = 0; s < seq; s++) acc += p[t * seq + s] * v[(b * seq + s) * ldIn + h * headDim + d];
                output[(b * seq + t) * c + h * headDim + d] = (float)acc;
            }
        }
    }
}
