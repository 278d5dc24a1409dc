namespace Skald.Training.Optim;

/// <summary>torch.nn.utils.clip_grad_norm_ (L2).</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales every gradient by maxNorm / (norm + 1e-6) when that is below 1, where norm is the L2 norm of all
    /// gradients together; returns the norm before clipping.
    /// </summary>
    public static float ClipGlobalNorm(IReadOnlyList<Parameter> parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double sum = 0;
        foreach (var p in parameters)
        {
            double s = 0;
            foreach (float g in p.Grad.Span) s += (double)g * g;
            sum += s;
        }
        double norm = Math.Sqrt(sum);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1)
        {
            float c = (float)coef;
            foreach (var p in parameters) System.Numerics.Tensors.TensorPrimitives.Multiply(p.Grad.Span, c, p.Grad.Span);
        }
        return (float)norm;
    }
}
