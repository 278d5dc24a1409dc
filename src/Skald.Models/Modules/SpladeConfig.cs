using Skald.Tensors.Kernels;

namespace Skald.Models.Modules;

/// <summary>
/// sentence-transformers' SpladePooling module (a SparseEncoder folder's <c>1_SpladePooling/config.json</c>): the
/// masked-LM logits of the MLMTransformer before it are activated and pooled into one vector over the vocabulary
/// (<see cref="Skald.Tensors.Kernels.SpladePooling"/>).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/models/SpladePooling.py
/// </remarks>
/// <param name="Strategy">pooling_strategy: max (default) or sum.</param>
/// <param name="Activation">activation_function: relu (default) or log1p_relu.</param>
/// <param name="Dimension">word_embedding_dimension when the file says (the vocabulary size), else null.</param>
public sealed record SpladeConfig(SpladeStrategy Strategy = SpladeStrategy.Max, SpladeActivation Activation = SpladeActivation.Relu,
    int? Dimension = null)
{
    /// <summary>The module's type in modules.json.</summary>
    public const string ModuleType = "sentence_transformers.sparse_encoder.models.SpladePooling";

    /// <summary>The first module of a SparseEncoder folder (a *ForMaskedLM model) in modules.json.</summary>
    public const string TransformerModuleType = "sentence_transformers.sparse_encoder.models.MLMTransformer";

    /// <summary>The pooling_strategy value of <paramref name="strategy"/>.</summary>
    public static string Name(SpladeStrategy strategy) => strategy == SpladeStrategy.Max ? "max" : "sum";

    /// <summary>The activation_function value of <paramref name="activation"/>.</summary>
    public static string Name(SpladeActivation activation) => activation == SpladeActivation.Relu ? "relu" : "log1p_relu";

    /// <summary>The strategy named <paramref name="value"/>; <paramref name="where"/> names the file or key in errors.</summary>
    public static SpladeStrategy ParseStrategy(string value, string where) => value switch
    {
        "max" => SpladeStrategy.Max,
        "sum" => SpladeStrategy.Sum,
        _ => throw new ModelFormatException($"{where}: pooling_strategy must be \"max\" or \"sum\", found \"{value}\""),
    };

    /// <summary>The activation named <paramref name="value"/>; <paramref name="where"/> names the file or key in errors.</summary>
    public static SpladeActivation ParseActivation(string value, string where) => value switch
    {
        "relu" => SpladeActivation.Relu,
        "log1p_relu" => SpladeActivation.Log1pRelu,
        _ => throw new ModelFormatException($"{where}: activation_function must be \"relu\" or \"log1p_relu\", found \"{value}\""),
    };

    /// <summary>Reads a SpladePooling config.json (missing keys take sentence-transformers' defaults).</summary>
    public static SpladeConfig Load(string path)
    {
        if (!File.Exists(path)) return new SpladeConfig(); // SpladePooling saves its config, but a hand-made folder may not
        using var doc = JsonFiles.Read(path);
        var r = doc.RootElement;
        int? dim = JsonFiles.Int(r, "word_embedding_dimension", path);
        if (dim is < 1) throw new ModelFormatException($"{path}: key \"word_embedding_dimension\" must be positive, found {dim}");
        return new SpladeConfig(ParseStrategy(JsonFiles.Str(r, "pooling_strategy", path) ?? "max", path),
            ParseActivation(JsonFiles.Str(r, "activation_function", path) ?? "relu", path), dim);
    }

    /// <summary>The config.json sentence-transformers writes for this module.</summary>
    public string ToJson(int dimension) =>
        $"{{\n  \"pooling_strategy\": \"{Name(Strategy)}\",\n  \"activation_function\": \"{Name(Activation)}\",\n  \"word_embedding_dimension\": {dimension}\n}}";
}
