using System.Text.Json;

namespace Skald.Models.Architectures;

/// <summary>
/// The parts of a Hugging Face <c>config.json</c> that BERT-style encoders use. Other keys in the file are ignored,
/// as transformers ignores what an architecture does not read.
/// </summary>
public sealed record TransformerConfig
{
    /// <summary><c>model_type</c>: "bert", "xlm-roberta", "roberta", ...</summary>
    public required string ModelType { get; init; }

    /// <summary><c>vocab_size</c>.</summary>
    public required int VocabSize { get; init; }

    /// <summary><c>hidden_size</c> (C).</summary>
    public required int HiddenSize { get; init; }

    /// <summary><c>num_hidden_layers</c>.</summary>
    public required int NumLayers { get; init; }

    /// <summary><c>num_attention_heads</c>.</summary>
    public required int NumHeads { get; init; }

    /// <summary><c>intermediate_size</c>.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary><c>hidden_act</c>: gelu, gelu_new, gelu_pytorch_tanh, relu.</summary>
    public string HiddenAct { get; init; } = "gelu";

    /// <summary><c>max_position_embeddings</c>.</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;

    /// <summary><c>type_vocab_size</c>.</summary>
    public int TypeVocabSize { get; init; } = 2;

    /// <summary><c>layer_norm_eps</c>.</summary>
    public float LayerNormEps { get; init; } = 1e-12f;

    /// <summary><c>pad_token_id</c>.</summary>
    public int PadTokenId { get; init; }

    /// <summary><c>architectures[0]</c> when present.</summary>
    public string? Architecture { get; init; }

    /// <summary>The file this was read from, for messages.</summary>
    public string Source { get; init; } = "config.json";

    /// <summary>Reads and checks <paramref name="path"/>; errors name the file and key.</summary>
    public static TransformerConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: file not found");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{path}: invalid JSON ({e.Message})");
        }
        using (doc)
        {
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: expected a JSON object");
            string modelType = Str(r, "model_type") ?? throw new ModelFormatException($"{path}: missing key \"model_type\"");
            string posType = Str(r, "position_embedding_type") ?? "absolute";
            if (posType != "absolute")
                throw new ModelFormatException($"{path}: position_embedding_type \"{posType}\" is not supported (only \"absolute\")");
            var cfg = new TransformerConfig
            {
                Source = path,
                ModelType = modelType,
                VocabSize = Int(r, "vocab_size", path),
                HiddenSize = Int(r, "hidden_size", path),
                NumLayers = Int(r, "num_hidden_layers", path),
                NumHeads = Int(r, "num_attention_heads", path),
                IntermediateSize = Int(r, "intermediate_size", path),
                HiddenAct = Str(r, "hidden_act") ?? "gelu",
                MaxPositionEmbeddings = IntOr(r, "max_position_embeddings", 512, path),
                TypeVocabSize = IntOr(r, "type_vocab_size", 2, path),
                LayerNormEps = r.TryGetProperty("layer_norm_eps", out var eps) && eps.ValueKind == JsonValueKind.Number
                    ? eps.GetSingle() : 1e-12f,
                PadTokenId = IntOr(r, "pad_token_id", 0, path),
                Architecture = r.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array
                    && a.GetArrayLength() > 0 ? a[0].GetString() : null,
            };
            if (cfg.HiddenSize % cfg.NumHeads != 0)
                throw new ModelFormatException($"{path}: hidden_size {cfg.HiddenSize} is not a multiple of num_attention_heads {cfg.NumHeads}");
            return cfg;
        }
    }

    private static string? Str(JsonElement r, string key) =>
        r.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement r, string key, string path)
    {
        if (!r.TryGetProperty(key, out var v)) throw new ModelFormatException($"{path}: missing key \"{key}\"");
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int x) || x <= 0)
            throw new ModelFormatException($"{path}: key \"{key}\" must be a positive integer, found {v.GetRawText()}");
        return x;
    }

    private static int IntOr(JsonElement r, string key, int fallback, string path)
    {
        if (!r.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int x))
            throw new ModelFormatException($"{path}: key \"{key}\" must be an integer, found {v.GetRawText()}");
        return x;
    }
}
