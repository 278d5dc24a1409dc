using System.Text.Json;

namespace Skald.Models.Architectures;

/// <summary>
/// Reads a NorBERT4 / GPT-BERT config.json (recognised by its <c>auto_map</c> naming <c>modeling_gptbert</c>, see
/// <see cref="CustomCode"/>). Upstream's <c>GptBertConfig</c> (configuration_gptbert.py) has no defaults: it sets every
/// key of the file as an attribute and modeling_gptbert.py reads <c>vocab_size</c>, <c>hidden_size</c>,
/// <c>intermediate_size</c>, <c>num_layers</c>, <c>num_attention_heads</c>, <c>query_key_head_size</c>,
/// <c>value_head_size</c>, <c>layer_norm_eps</c>, <c>max_sequence_length</c>, <c>local_global_ratio</c>,
/// <c>local_window_length</c> and <c>global_window_length</c>, so each of them is required here and a missing one is
/// one line naming it (as a config that mixes in another architecture's names, e.g. num_hidden_layers, gets).
/// Upstream: https://github.com/ltgoslo/NorBERT/blob/92800a5b8141120eabecbe01329acb2be7d99032/norbert4/huggingface_prototype/configuration_gptbert.py
/// </summary>
internal static class GptBertConfigReader
{
    /// <summary>The Skald model type of GPT-BERT.</summary>
    public const string ModelType = "gptbert";

    /// <summary>The config of <paramref name="r"/> (read from <paramref name="path"/>).</summary>
    public static TransformerConfig Read(JsonElement r, string path)
    {
        int Required(string key)
        {
            if (!r.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
                throw new ModelFormatException($"{path}: looks like NorBERT4 (auto_map modeling_gptbert) but {key} is missing");
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int x) || x <= 0)
                throw new ModelFormatException($"{path}: key \"{key}\" must be a positive integer, found {v.GetRawText()}");
            return x;
        }

        int vocab = Required("vocab_size"), hidden = Required("hidden_size"), inter = Required("intermediate_size");
        int layers = Required("num_layers"), heads = Required("num_attention_heads");
        int dqk = Required("query_key_head_size"), dv = Required("value_head_size");
        if (!r.TryGetProperty("layer_norm_eps", out var eps) || eps.ValueKind != JsonValueKind.Number)
            throw new ModelFormatException($"{path}: looks like NorBERT4 (auto_map modeling_gptbert) but layer_norm_eps is missing");
        int maxLength = Required("max_sequence_length"), ratio = Required("local_global_ratio");
        int local = Required("local_window_length"), global = Required("global_window_length");
        if (dqk != dv)
            throw new ModelFormatException($"{path}: query_key_head_size {dqk} differs from value_head_size {dv}; Skald runs GPT-BERT with equal head sizes only");
        if (dqk % 2 != 0) throw new ModelFormatException($"{path}: query_key_head_size {dqk} must be even (rotary embeddings)");
        bool causal = r.TryGetProperty("is_decoder", out var dec) && dec.ValueKind == JsonValueKind.True;
        return new TransformerConfig
        {
            Source = path,
            ModelType = ModelType,
            VocabSize = vocab,
            HiddenSize = hidden,
            NumLayers = layers,
            NumHeads = heads,
            IntermediateSize = inter,
            HiddenAct = "gelu_new",
            HeadDim = dqk,
            MaxPositionEmbeddings = maxLength,
            LayerNormEps = TransformerConfig.PositiveEps(eps.GetSingle(), "layer_norm_eps", path),
            PadTokenId = TransformerConfig.IntOr(r, "pad_token_id", 0, path),
            RopeTheta = GptBertSettings.GlobalTheta,
            RopeLocalTheta = GptBertSettings.LocalTheta,
            Architecture = TransformerConfig.ArchitectureOf(r),
            GptBert = new GptBertSettings(ratio, local, global, causal),
        };
    }
}
