namespace Skald.Models.Architectures;

/// <summary>Picks the architecture from config.json's <c>model_type</c>.</summary>
public static class Encoders
{
    /// <summary>model_type values Skald can run.</summary>
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["bert", "xlm-roberta", "roberta", "camembert"];

    /// <summary>Loads the transformer in <paramref name="folder"/>.</summary>
    public static ITransformerEncoder Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new ModelFormatException($"{folder}: model folder not found");
        var config = TransformerConfig.Load(Path.Combine(folder, "config.json"));
        return config.ModelType switch
        {
            "bert" => BertModel.Load(folder),
            "xlm-roberta" or "roberta" or "camembert" => XlmRoberta.Load(folder),
            _ => throw new ModelFormatException(
                $"{config.Source}: model_type \"{config.ModelType}\" is not supported yet (supported: {string.Join(", ", SupportedModelTypes)})"),
        };
    }
}
