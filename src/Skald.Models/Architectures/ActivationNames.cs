using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>The activation names config files use, mapped to the engine's <see cref="ActivationKind"/>.</summary>
public static class ActivationNames
{
    /// <summary>config.json's <c>hidden_act</c> (transformers' ACT2FN names).</summary>
    public static ActivationKind FromHiddenAct(string name, string source) => name switch
    {
        "gelu" => ActivationKind.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => ActivationKind.GeluTanh,
        "relu" => ActivationKind.Relu,
        "tanh" => ActivationKind.Tanh,
        "sigmoid" => ActivationKind.Sigmoid,
        _ => throw new ModelFormatException(
            $"{source}: hidden_act \"{name}\" is not supported (gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, tanh, sigmoid)"),
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
