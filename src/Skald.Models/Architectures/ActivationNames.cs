using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>The activation names config files use, mapped to the engine's <see cref="ActivationKind"/>.</summary>
public static class ActivationNames
{
    /// <summary>config.json's <c>hidden_act</c> (or GPT-2's <paramref name="key"/> activation_function; transformers' ACT2FN names).</summary>
    public static ActivationKind FromHiddenAct(string name, string source, string key = "hidden_act") => name switch
    {
        "gelu" => ActivationKind.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => ActivationKind.GeluTanh,
        "relu" => ActivationKind.Relu,
        "tanh" => ActivationKind.Tanh,
        "sigmoid" => ActivationKind.Sigmoid,
        _ => throw new ModelFormatException(
            $"{source}: {key} \"{name}\" is not supported (gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, tanh, sigmoid)"),
    };

    /// <summary>The gate function of a decoder's gated MLP from config.json's <c>hidden_act</c> / <c>hidden_activation</c>.</summary>
    public static GateFunction GateFromHiddenAct(string name, string source, string key = "hidden_act") => name switch
    {
        "silu" or "swish" => GateFunction.Silu,
        "gelu_pytorch_tanh" or "gelu_new" or "gelu_fast" => GateFunction.GeluTanh,
        "gelu" => GateFunction.Gelu,
        _ => throw new ModelFormatException(
            $"{source}: {key} \"{name}\" is not supported for a gated MLP (silu, gelu_pytorch_tanh, gelu_new, gelu_fast, gelu)"),
    };

    /// <summary>A sentence-transformers Dense <c>activation_function</c> (a torch class path such as torch.nn.modules.activation.Tanh).</summary>
    public static ActivationKind FromTorchClass(string name, string source) => name[(name.LastIndexOf('.') + 1)..] switch
    {
        "Identity" => ActivationKind.Identity,
        "Tanh" => ActivationKind.Tanh,
        "ReLU" => ActivationKind.Relu,
        "GELU" => ActivationKind.Gelu,
        "Sigmoid" => ActivationKind.Sigmoid,
        _ => throw new ModelFormatException($"{source}: activation_function \"{name}\" is not supported (Identity, Tanh, ReLU, GELU, Sigmoid)"),
    };
}
