namespace Skald.Tensors.Kernels;

/// <summary>
/// The activation SPLADE applies to masked-LM logits before pooling (sentence-transformers' SpladePooling
/// <c>activation_function</c>).
/// </summary>
public enum SpladeActivation
{
    /// <summary><c>relu</c>: f(z) = log(1 + max(z, 0)), every SPLADE model's.</summary>
    Relu,

    /// <summary><c>log1p_relu</c>: f(z) = log(1 + log(1 + max(z, 0))), OpenSearch's sparse models'.</summary>
    Log1pRelu,
}
