namespace Skald.Tensors.Autograd;

/// <summary>Element-wise activations the architectures and Dense modules use.</summary>
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
