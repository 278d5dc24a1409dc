namespace Skald.Tensors.Kernels;

/// <summary>How SPLADE pools the activated logits over a text's tokens (SpladePooling's <c>pooling_strategy</c>).</summary>
public enum SpladeStrategy
{
    /// <summary><c>max</c>: the largest value per vocabulary entry (SPLADE v2 and later).</summary>
    Max,

    /// <summary><c>sum</c>: the sum over tokens (the first SPLADE).</summary>
    Sum,
}
