using System.Text.Json;
using Skald.Models.Modules;

namespace Skald.Models.Architectures;

/// <summary>
/// Reads a GPT-2 config.json (model_type gpt2: OpenAI GPT-2, DistilGPT2, AI Sweden's GPT-SW3) with the defaults of
/// transformers' GPT2Config: <c>vocab_size</c> 50257, <c>n_positions</c> 1024, <c>n_embd</c> 768, <c>n_layer</c> 12,
/// <c>n_head</c> 12 (each also under its attribute_map name: max_position_embeddings, hidden_size, num_hidden_layers,
/// num_attention_heads), <c>n_inner</c> (null: 4·n_embd), <c>activation_function</c> gelu_new,
/// <c>layer_norm_epsilon</c> 1e-5, <c>initializer_range</c> 0.02, <c>scale_attn_weights</c> true,
/// <c>scale_attn_by_inverse_layer_idx</c> false, <c>tie_word_embeddings</c> true, <c>add_cross_attention</c> false. <c>reorder_and_upcast_attn</c> is
/// accepted: it scales q·kᵀ inside the product and upcasts it to float32, which for float32 weights gives the same
/// values (Skald computes in float32). The dropout keys (attn_pdrop, resid_pdrop, embd_pdrop) are not read: a training
/// run's model.dropout applies. A value Skald cannot run is one line naming the file and the key.
/// Upstream: https://github.com/huggingface/transformers/blob/01ae98ae2414210efd0d9ac1ffe78ff21588f1f7/src/transformers/models/gpt2/configuration_gpt2.py
/// </summary>
internal static class Gpt2ConfigReader
{
    /// <summary>GPT-2's model_type.</summary>
    public const string ModelType = "gpt2";

    /// <summary>The config of <paramref name="r"/> (read from <paramref name="path"/>).</summary>
    public static TransformerConfig Read(JsonElement r, string path)
    {
        int Positive(string key, string alias, int fallback) => TransformerConfig.PositiveOr(r, key, alias, fallback, path);

        int hidden = Positive("n_embd", "hidden_size", 768), heads = Positive("n_head", "num_attention_heads", 12);
        if (hidden % heads != 0)
            throw new ModelFormatException($"{path}: n_embd {hidden} is not a multiple of n_head {heads}");
        string act = JsonFiles.Str(r, "activation_function", path) ?? "gelu_new";
        ActivationNames.FromHiddenAct(act, path, "activation_function");
        double eps = TransformerConfig.Number(r, "layer_norm_epsilon", path) ?? 1e-5;
        return new TransformerConfig
        {
            Source = path,
            ModelType = ModelType,
            VocabSize = Positive("vocab_size", "vocab_size", 50257),
            HiddenSize = hidden,
            NumLayers = Positive("n_layer", "num_hidden_layers", 12),
            NumHeads = heads,
            IntermediateSize = Positive("n_inner", "n_inner", 4 * hidden),
            HiddenAct = act,
            MaxPositionEmbeddings = Positive("n_positions", "max_position_embeddings", 1024),
            LayerNormEps = TransformerConfig.PositiveEps((float)eps, "layer_norm_epsilon", path),
            PadTokenId = TransformerConfig.IntOr(r, "pad_token_id", 0, path),
            TieWordEmbeddings = TransformerConfig.Bool(r, "tie_word_embeddings", true, path),
            InitializerRange = (float)(TransformerConfig.Number(r, "initializer_range", path) ?? 0.02),
            ScaleAttnWeights = TransformerConfig.Bool(r, "scale_attn_weights", true, path),
            ScaleAttnByInverseLayerIdx = TransformerConfig.Bool(r, "scale_attn_by_inverse_layer_idx", false, path),
            AddCrossAttention = TransformerConfig.Bool(r, "add_cross_attention", false, path),
            Architecture = TransformerConfig.ArchitectureOf(r),
        };
    }
}
