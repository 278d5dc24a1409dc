using System.Text.Json;
using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Training.Autograd;

namespace Skald.Training.Modeling;

/// <summary>The parameters of one BertLayer, by HF key.</summary>
internal sealed record LayerParameters(
    Parameter[] QkvWeights, Parameter[] QkvBiases, Parameter AttnOutWeight, Parameter AttnOutBias,
    Parameter AttnLnWeight, Parameter AttnLnBias, Parameter InterWeight, Parameter InterBias,
    Parameter OutWeight, Parameter OutBias, Parameter OutLnWeight, Parameter OutLnBias);

/// <summary>A sentence-transformers Dense module's parameters and activation.</summary>
internal sealed record DenseParameters(Parameter Weight, Parameter? Bias, ActivationKind Activation);

/// <summary>Reads a BERT / XLM-R checkpoint and Dense module folders into named <see cref="Parameter"/>s.</summary>
internal sealed class EncoderParameters
{
    public required Parameter Word { get; init; }
    public required Parameter Position { get; init; }
    public required Parameter Type { get; init; }
    public required Parameter EmbLnWeight { get; init; }
    public required Parameter EmbLnBias { get; init; }
    public required LayerParameters[] Layers { get; init; }
    public required DenseParameters[] Dense { get; init; }
    public required List<Parameter> All { get; init; }

    public static EncoderParameters Load(TransformerConfig config, string transformerPath, IReadOnlyList<string> densePaths)
    {
        string[] prefixes = config.ModelType == "bert" ? ["bert."] : ["roberta.", "xlm_roberta."];
        var all = new List<Parameter>();
        int c = config.HiddenSize, inter = config.IntermediateSize;
        using var w = Checkpoint.OpenFolder(transformerPath, prefixes);
        Parameter P(string key, params int[] shape)
        {
            var p = new Parameter(key, w.Read(key, shape), shape, WeightDecayFor(key));
            all.Add(p);
            return p;
        }
        (Parameter, Parameter) Ln(string path)
        {
            // Old TF checkpoints name LayerNorm parameters gamma/beta; the parameters take HF's current names.
            if (!w.Contains(path + ".weight") && w.Contains(path + ".gamma"))
            {
                var g = new Parameter(path + ".weight", w.Read(path + ".gamma", c), [c], false);
                var b = new Parameter(path + ".bias", w.Read(path + ".beta", c), [c], false);
                all.Add(g);
                all.Add(b);
                return (g, b);
            }
            return (P(path + ".weight", c), P(path + ".bias", c));
        }
        var word = P("embeddings.word_embeddings.weight", config.VocabSize, c);
        var pos = P("embeddings.position_embeddings.weight", config.MaxPositionEmbeddings, c);
        var type = P("embeddings.token_type_embeddings.weight", config.TypeVocabSize, c);
        var (embW, embB) = Ln("embeddings.LayerNorm");
        var layers = new LayerParameters[config.NumLayers];
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"encoder.layer.{i}";
            var qkvW = new Parameter[3];
            var qkvB = new Parameter[3];
            string[] names = ["query", "key", "value"];
            for (int j = 0; j < 3; j++)
            {
                qkvW[j] = P($"{p}.attention.self.{names[j]}.weight", c, c);
                qkvB[j] = P($"{p}.attention.self.{names[j]}.bias", c);
            }
            var aoW = P($"{p}.attention.output.dense.weight", c, c);
            var aoB = P($"{p}.attention.output.dense.bias", c);
            var (ln1W, ln1B) = Ln($"{p}.attention.output.LayerNorm");
            var iW = P($"{p}.intermediate.dense.weight", inter, c);
            var iB = P($"{p}.intermediate.dense.bias", inter);
            var oW = P($"{p}.output.dense.weight", c, inter);
            var oB = P($"{p}.output.dense.bias", c);
            var (ln2W, ln2B) = Ln($"{p}.output.LayerNorm");
            layers[i] = new LayerParameters(qkvW, qkvB, aoW, aoB, ln1W, ln1B, iW, iB, oW, oB, ln2W, ln2B);
        }
        var dense = densePaths.Select(d => LoadDense(d, all)).ToArray();
        return new EncoderParameters
        {
            Word = word, Position = pos, Type = type, EmbLnWeight = embW, EmbLnBias = embB, Layers = layers,
            Dense = dense, All = all,
        };
    }

    /// <summary>HF Trainer's rule: no weight decay for biases and LayerNorm weights.</summary>
    public static bool WeightDecayFor(string key) =>
        !(key.EndsWith(".bias", StringComparison.Ordinal) || key.Contains("LayerNorm", StringComparison.Ordinal)
          || key.Contains("layer_norm", StringComparison.Ordinal));

    private static DenseParameters LoadDense(string folder, List<Parameter> all)
    {
        string cfgPath = Path.Combine(folder, "config.json");
        if (!File.Exists(cfgPath)) throw new ModelFormatException($"{cfgPath}: file not found");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(cfgPath));
        var r = doc.RootElement;
        int inF = r.GetProperty("in_features").GetInt32(), outF = r.GetProperty("out_features").GetInt32();
        bool hasBias = !r.TryGetProperty("bias", out var b) || b.ValueKind != JsonValueKind.False;
        string act = r.TryGetProperty("activation_function", out var a) && a.ValueKind == JsonValueKind.String
            ? a.GetString()! : "torch.nn.modules.activation.Tanh";
        string module = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        using var w = Checkpoint.OpenFolder(folder);
        var weight = new Parameter($"{module}/linear.weight", w.Read("linear.weight", outF, inF), [outF, inF], true);
        all.Add(weight);
        Parameter? bias = null;
        if (hasBias)
        {
            bias = new Parameter($"{module}/linear.bias", w.Read("linear.bias", outF), [outF], false);
            all.Add(bias);
        }
        return new DenseParameters(weight, bias, DenseActivation(act, cfgPath));
    }

    private static ActivationKind DenseActivation(string name, string source) => name[(name.LastIndexOf('.') + 1)..] switch
    {
        "Identity" => ActivationKind.Identity,
        "Tanh" => ActivationKind.Tanh,
        "ReLU" => ActivationKind.Relu,
        "GELU" => ActivationKind.Gelu,
        "Sigmoid" => ActivationKind.Sigmoid,
        _ => throw new ModelFormatException($"{source}: activation_function \"{name}\" is not supported (Identity, Tanh, ReLU, GELU, Sigmoid)"),
    };

    public static ActivationKind HiddenActivation(TransformerConfig config) => config.HiddenAct switch
    {
        "gelu" => ActivationKind.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => ActivationKind.GeluTanh,
        "relu" => ActivationKind.Relu,
        _ => throw new ModelFormatException($"{config.Source}: hidden_act \"{config.HiddenAct}\" is not supported"),
    };
}
