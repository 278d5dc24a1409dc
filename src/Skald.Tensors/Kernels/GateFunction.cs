namespace Skald.Tensors.Kernels;

/// <summary>The function f of a gated MLP, y = f(gate) ⊙ up (see <see cref="GatedActivation"/>).</summary>
public enum GateFunction
{
    /// <summary>SiLU, x·σ(x) (SwiGLU; transformers' "silu" / "swish": Llama, Mistral, Qwen).</summary>
    Silu,
    /// <summary>Tanh-approximated GELU (GeGLU; "gelu_pytorch_tanh" / "gelu_new": Gemma).</summary>
    GeluTanh,
    /// <summary>Exact erf GELU ("gelu").</summary>
    Gelu,
}
