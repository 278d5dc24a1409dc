using Skald.Tensors.Autograd;

namespace Skald.Training.Losses;

/// <summary>
/// The gradients a loss adds to its own parameters (SoftmaxLoss's classifier) inside <see cref="IEmbeddingLoss.Compute"/>,
/// scaled as the model's gradients are: by the caller's gradientScale (1/accumulation steps), by the weight a wrapper
/// gives the call (Matryoshka's per width, AdaptiveLayerLoss's per layer), and by 1/ranks under mpirun, where every rank
/// computes the loss over the whole gathered batch and the trainer then sums the ranks' gradients.
/// </summary>
internal static class LossParameterGradients
{
    /// <summary>
    /// Runs <paramref name="compute"/> (which calls <paramref name="loss"/>'s Compute) and multiplies what it added to
    /// the loss's own parameter gradients by <paramref name="factor"/>; a loss without parameters just runs.
    /// </summary>
    public static float Scaled(IEmbeddingLoss loss, double factor, Func<float> compute)
    {
        var parameters = (loss as ILoss)?.Parameters ?? [];
        if (parameters.Count == 0 || factor == 1) return compute();
        var before = parameters.Select(p => p.Grad.ToArray()).ToArray();
        float value = compute();
        for (int k = 0; k < parameters.Count; k++)
        {
            var g = parameters[k].Grad.Span;
            var b = before[k];
            for (int i = 0; i < g.Length; i++) g[i] = (float)(b[i] + (g[i] - b[i]) * factor);
        }
        return value;
    }
}
