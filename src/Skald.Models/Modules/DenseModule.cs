using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;

namespace Skald.Models.Modules;

/// <summary>
/// sentence-transformers' Dense module (sentence_transformers/models/Dense.py): y = activation(x · Wᵀ + b),
/// W: [out, in] stored as <c>linear.weight</c> in the module folder's model.safetensors. Its parameters are named
/// with the module folder (<c>2_Dense/linear.weight</c>).
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/models/Dense.py</remarks>
public sealed class DenseModule
{
    private DenseModule(int inFeatures, int outFeatures, string activation, Parameter weight, Parameter? bias, string source)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        ActivationFunction = activation;
        Activation = ActivationNames.FromTorchClass(activation, source);
        Weight = weight;
        Bias = bias;
    }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>The activation's Python path, as in config.json.</summary>
    public string ActivationFunction { get; }

    /// <summary>The activation.</summary>
    public ActivationKind Activation { get; }

    /// <summary>linear.weight [out, in].</summary>
    public Parameter Weight { get; }

    /// <summary>linear.bias [out] (null when the config says bias: false).</summary>
    public Parameter? Bias { get; }

    /// <summary>Its parameters.</summary>
    public IReadOnlyList<Parameter> Parameters => Bias is null ? [Weight] : [Weight, Bias];

    /// <summary>Loads a Dense module folder (config.json + model.safetensors).</summary>
    public static DenseModule Load(string folder) => Load(folder, "");

    /// <summary><see cref="Load(string)"/> with <paramref name="namePrefix"/> in front of the parameters' names.</summary>
    public static DenseModule Load(string folder, string namePrefix)
    {
        string cfgPath = Path.Combine(folder, "config.json");
        using var doc = JsonFiles.Read(cfgPath);
        var r = doc.RootElement;
        int inF = JsonFiles.Int(r, "in_features", cfgPath) ?? throw new ModelFormatException($"{cfgPath}: missing key \"in_features\"");
        int outF = JsonFiles.Int(r, "out_features", cfgPath) ?? throw new ModelFormatException($"{cfgPath}: missing key \"out_features\"");
        bool hasBias = JsonFiles.Bool(r, "bias", cfgPath, fallback: true);
        string act = JsonFiles.Str(r, "activation_function", cfgPath) ?? "torch.nn.modules.activation.Tanh";
        _ = ActivationNames.FromTorchClass(act, cfgPath);
        string module = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        using var w = Checkpoint.OpenFolder(folder);
        var p = ParameterBuilder.FromCheckpoint(w, namePrefix + module + "/").Sub("linear");
        var weight = p.Tensor("weight", outF, inF);
        var bias = hasBias ? p.Tensor("bias", outF) : null;
        return new DenseModule(inF, outF, act, weight, bias, cfgPath);
    }

    /// <summary>The activation_function of a Dense module without one (PyLate's projection).</summary>
    public const string Identity = "torch.nn.modules.linear.Identity";

    /// <summary>
    /// A new bias-free Dense module without activation (PyLate's projection), its weight [out, in] =
    /// <paramref name="weight"/> named <c>{<paramref name="module"/>}/linear.weight</c>.
    /// </summary>
    public static DenseModule CreateLinear(string module, int inFeatures, int outFeatures, float[] weight)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Length != (long)inFeatures * outFeatures) throw new ArgumentException($"{weight.Length} values are not [{outFeatures}, {inFeatures}]", nameof(weight));
        return new DenseModule(inFeatures, outFeatures, Identity, new Parameter(module + "/linear.weight", weight, [outFeatures, inFeatures], weightDecay: true),
            null, module);
    }

    /// <summary>x [B, in] → y [B, out] on <paramref name="tape"/>.</summary>
    public Variable Forward(Tape tape, Variable x) => Ops.Activation(tape, Ops.Linear(tape, x, Weight, Bias), Activation);
}
