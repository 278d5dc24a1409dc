using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Modules;

namespace Skald.Models.CrossEncoders;

/// <summary>
/// What config.json says about a cross-encoder beyond its transformer, as sentence-transformers' CrossEncoder reads it
/// (https://github.com/UKPLab/sentence-transformers/blob/dfcbbd93056c6292ee6a245c0740683a270df0b1/sentence_transformers/cross_encoder/CrossEncoder.py,
/// v5.1.2): the activation (<c>sentence_transformers.activation_fn</c>, else the older top-level
/// <c>sbert_ce_default_activation_function</c>, else Sigmoid for one label and Identity for more), the label names
/// (<c>id2label</c>) and ModernBERT's <c>classifier_pooling</c>. The number of labels is the classifier weight's.
/// </summary>
/// <param name="Activation">What scores go through (<see cref="ScoreActivation"/>).</param>
/// <param name="Labels">Label names by index (id2label; LABEL_i where it names none).</param>
/// <param name="Pooling">ModernBERT's classifier_pooling (first token or masked mean); the first token elsewhere.</param>
/// <param name="MultiLabel">transformers' <c>problem_type: multi_label_classification</c>: several labels may be true at
/// once, each scored by its own sigmoid (a softmax across them means nothing).</param>
public sealed record CrossEncoderConfig(ScoreActivation Activation, IReadOnlyList<string> Labels, PoolingMode Pooling, bool MultiLabel = false)
{
    /// <summary>The key sentence-transformers (v4 and later) keeps its settings under.</summary>
    public const string SettingsKey = "sentence_transformers";

    /// <summary>The settings of the config.json at <paramref name="path"/> for a classifier with <paramref name="numLabels"/> outputs.</summary>
    public static CrossEncoderConfig Read(string path, int numLabels)
    {
        using var doc = JsonFiles.Read(path);
        var r = doc.RootElement;
        string? name = null, key = null;
        if (r.TryGetProperty(SettingsKey, out var st) && st.ValueKind == JsonValueKind.Object
            && st.TryGetProperty("activation_fn", out var fn) && fn.ValueKind == JsonValueKind.String)
            (name, key) = (fn.GetString(), SettingsKey + ".activation_fn");
        else if (r.TryGetProperty("sbert_ce_default_activation_function", out var legacy) && legacy.ValueKind == JsonValueKind.String)
            (name, key) = (legacy.GetString(), "sbert_ce_default_activation_function");
        var activation = name is null
            ? numLabels == 1 ? ScoreActivation.Sigmoid : ScoreActivation.Identity
            : ParseActivation(name, path, key!);
        var labels = new string[numLabels];
        for (int i = 0; i < numLabels; i++) labels[i] = "LABEL_" + i;
        if (r.TryGetProperty("id2label", out var id2label) && id2label.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in id2label.EnumerateObject())
            {
                if (int.TryParse(entry.Name, out int i) && i >= 0 && i < numLabels && entry.Value.ValueKind == JsonValueKind.String)
                    labels[i] = entry.Value.GetString()!;
            }
        }
        string pooling = r.TryGetProperty("classifier_pooling", out var cp) && cp.ValueKind == JsonValueKind.String ? cp.GetString()! : "cls";
        var mode = pooling switch
        {
            "cls" => PoolingMode.Cls,
            "mean" => PoolingMode.Mean,
            _ => throw new ModelFormatException($"{path}: classifier_pooling \"{pooling}\" is not supported (cls, mean)"),
        };
        bool multiLabel = numLabels > 1 && r.TryGetProperty("problem_type", out var pt) && pt.ValueKind == JsonValueKind.String
            && pt.GetString() == "multi_label_classification";
        return new CrossEncoderConfig(activation, labels, mode, multiLabel);
    }

    /// <summary>
    /// A torch module path (<c>torch.nn.modules.activation.Sigmoid</c>, <c>torch.nn.modules.linear.Identity</c>,
    /// <c>torch.nn.modules.activation.Tanh</c>; the class name decides) → the activation.
    /// </summary>
    public static ScoreActivation ParseActivation(string name, string path, string key)
    {
        ArgumentNullException.ThrowIfNull(name);
        string cls = name[(name.LastIndexOf('.') + 1)..];
        return cls switch
        {
            "Sigmoid" => ScoreActivation.Sigmoid,
            "Identity" => ScoreActivation.Identity,
            "Tanh" => ScoreActivation.Tanh,
            _ => throw new ModelFormatException(
                $"{path}: {key} \"{name}\" is not supported (torch.nn.modules.activation.Sigmoid, torch.nn.modules.linear.Identity, torch.nn.modules.activation.Tanh)"),
        };
    }

    /// <summary>The torch module path sentence-transformers writes for <paramref name="activation"/>.</summary>
    public static string TorchName(ScoreActivation activation) => activation switch
    {
        ScoreActivation.Sigmoid => "torch.nn.modules.activation.Sigmoid",
        ScoreActivation.Tanh => "torch.nn.modules.activation.Tanh",
        _ => "torch.nn.modules.linear.Identity",
    };
}
