using Skald.Models.Checkpoints;
using Skald.Tensors.Kernels;

namespace Skald.Models.Pipeline;

/// <summary>
/// sentence-transformers' Dense module (sentence_transformers/models/Dense.py): y = activation(x · Wᵀ + b),
/// W: [out, in] stored as <c>linear.weight</c> in the module folder's model.safetensors.
/// </summary>
public sealed class DenseModule
{
    private readonly float[] weight;
    private readonly float[] bias;

    private DenseModule(int inFeatures, int outFeatures, string activation, float[] weight, float[] bias)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        ActivationFunction = activation;
        this.weight = weight;
        this.bias = bias;
    }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>The activation's Python path, as in config.json.</summary>
    public string ActivationFunction { get; }

    /// <summary>Number of parameters.</summary>
    public long ParameterCount => weight.Length + bias.Length;

    /// <summary>Loads a Dense module folder (config.json + model.safetensors).</summary>
    public static DenseModule Load(string folder)
    {
        string cfgPath = Path.Combine(folder, "config.json");
        using var doc = JsonFiles.Read(cfgPath);
        var r = doc.RootElement;
        int inF = JsonFiles.Int(r, "in_features", cfgPath) ?? throw new ModelFormatException($"{cfgPath}: missing key \"in_features\"");
        int outF = JsonFiles.Int(r, "out_features", cfgPath) ?? throw new ModelFormatException($"{cfgPath}: missing key \"out_features\"");
        bool hasBias = JsonFiles.Bool(r, "bias", cfgPath, fallback: true);
        string act = JsonFiles.Str(r, "activation_function", cfgPath) ?? "torch.nn.modules.activation.Tanh";
        _ = ActivationOf(act, cfgPath);
        using var w = Checkpoint.OpenFolder(folder);
        var weight = w.Read("linear.weight", outF, inF);
        var bias = hasBias ? w.Read("linear.bias", outF) : [];
        return new DenseModule(inF, outF, act, weight, bias);
    }

    /// <summary>x: [n, in] → y: [n, out].</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int n)
    {
        Linear.Forward(x, weight, bias, y, n, InFeatures, OutFeatures);
        var act = ActivationOf(ActivationFunction, "Dense");
        act?.Invoke(y[..(n * OutFeatures)]);
    }

    private static Action<Span<float>>? ActivationOf(string name, string source)
    {
        string shortName = name[(name.LastIndexOf('.') + 1)..];
        return shortName switch
        {
            "Identity" => null,
            "Tanh" => s => Activations.Tanh(s, s),
            "ReLU" => s => Activations.Relu(s, s),
            "GELU" => s => Activations.Gelu(s, s),
            "Sigmoid" => s => System.Numerics.Tensors.TensorPrimitives.Sigmoid(s, s),
            _ => throw new ModelFormatException(
                $"{source}: activation_function \"{name}\" is not supported (Identity, Tanh, ReLU, GELU, Sigmoid)"),
        };
    }
}

/// <summary>sentence-transformers' Normalize module: x / max(‖x‖₂, 1e-12) per row.</summary>
public static class Normalize
{
    /// <summary>In place over rows of width <paramref name="dim"/>.</summary>
    public static void Forward(Span<float> x, int rows, int dim)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * dim, dim);
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, MathF.Max(norm, 1e-12f), row);
        }
    }
}
