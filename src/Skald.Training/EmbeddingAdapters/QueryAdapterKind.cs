namespace Skald.Training.EmbeddingAdapters;

/// <summary>The shape of a <see cref="QueryAdapter"/>.</summary>
public enum QueryAdapterKind
{
    /// <summary>y = W·x, W initialised to the identity (llama_index's LinearLayer, no bias).</summary>
    Linear,

    /// <summary>y = x + r·(W₂·ReLU(W₁·x + b₁) + b₂), r initialised to 0 (llama_index's TwoLayerNN with add_residual).</summary>
    Mlp,
}
