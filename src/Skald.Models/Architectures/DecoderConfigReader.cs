using System.Text.Json;
using Skald.Models.Modules;
using Skald.Tensors.Kernels;
using Skald.Tokenizers.Serialization;

namespace Skald.Models.Architectures;

/// <summary>
/// Reads the decoder keys of config.json with the defaults of transformers' configuration classes
/// (LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config, GemmaConfig, Gemma2Config, Gemma3TextConfig): head_dim,
/// num_key_value_heads, rms_norm_eps, rope_theta / rope_scaling (or the newer rope_parameters), sliding_window and the
/// per-layer attention types, biases, tie_word_embeddings, Gemma's hidden_activation, query_pre_attn_scalar and
/// soft-capping, Gemma's use_bidirectional_attention. Unsupported values fail with one line naming the file and the key.
/// </summary>
internal static class DecoderConfigReader
{
    private static readonly HashSet<string> Decoders = ["llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text"];

    /// <summary>Whether <paramref name="modelType"/> is a decoder this reader handles.</summary>
    public static bool IsDecoder(string modelType) => Decoders.Contains(modelType);

    /// <summary><paramref name="cfg"/> (the common keys) completed with the decoder keys of <paramref name="r"/>.</summary>
    public static TransformerConfig Read(JsonElement r, TransformerConfig cfg)
    {
        string path = cfg.Source, type = cfg.ModelType;
        bool gemma = type.StartsWith("gemma", StringComparison.Ordinal);
        // An absent num_key_value_heads is the configuration class's default (which need not be num_attention_heads); null
        // is num_attention_heads, as the classes' "if num_key_value_heads is None" makes it.
        bool kvAbsent = !r.TryGetProperty("num_key_value_heads", out _);
        int kv = kvAbsent ? DefaultKeyValueHeads(type, cfg.NumHeads) : TransformerConfig.IntOr(r, "num_key_value_heads", cfg.NumHeads, path);
        if (kv <= 0 || cfg.NumHeads % kv != 0)
            throw new ModelFormatException($"{path}: num_attention_heads {cfg.NumHeads} is not a multiple of num_key_value_heads {kv}" +
                (kvAbsent ? $" (the {type} default when the key is absent)" : ""));
        int headDim = TransformerConfig.IntOr(r, "head_dim", gemma ? 256 : type == "qwen3" ? 128 : 0, path);
        if (headDim == 0)
        {
            if (cfg.HiddenSize % cfg.NumHeads != 0)
                throw new ModelFormatException($"{path}: hidden_size {cfg.HiddenSize} is not a multiple of num_attention_heads {cfg.NumHeads}");
            headDim = cfg.HiddenSize / cfg.NumHeads;
        }
        // Gemma's MLP reads hidden_activation (gelu_pytorch_tanh when absent, as transformers falls back to it).
        string act = gemma ? JsonFiles.Str(r, "hidden_activation", path) ?? "gelu_pytorch_tanh" : cfg.HiddenAct;
        ActivationNames.GateFromHiddenAct(act, path, gemma ? "hidden_activation" : "hidden_act");
        double theta = TransformerConfig.Number(r, "rope_theta", path) ?? (type == "gemma3_text" ? 1e6 : 10000);
        double localTheta = TransformerConfig.Number(r, "rope_local_base_freq", path) ?? 10000;
        var scaling = r.TryGetProperty("rope_scaling", out var rs) ? Scaling(rs, path, "rope_scaling") : RopeScaling.None;
        if (r.TryGetProperty("rope_parameters", out var rp) && rp.ValueKind == JsonValueKind.Object)
        {
            if (rp.TryGetProperty("full_attention", out var full))
            {
                (theta, scaling) = (TransformerConfig.Number(full, "rope_theta", path) ?? theta, Scaling(full, path, "rope_parameters.full_attention"));
                if (rp.TryGetProperty("sliding_attention", out var local))
                    localTheta = TransformerConfig.Number(local, "rope_theta", path) ?? localTheta;
            }
            else
            {
                (theta, scaling) = (TransformerConfig.Number(rp, "rope_theta", path) ?? theta, Scaling(rp, path, "rope_parameters"));
            }
        }
        int maxPositions = TransformerConfig.IntOr(r, "max_position_embeddings", DefaultMaxPositions(type), path);
        if (maxPositions <= 0)
            throw new ModelFormatException($"{path}: key \"max_position_embeddings\" must be a positive integer, found {maxPositions}");
        double partial = TransformerConfig.Number(r, "partial_rotary_factor", path) ?? 1.0;
        if (!(partial > 0 && partial <= 1) || (int)(headDim * partial) % 2 != 0)
            throw new ModelFormatException($"{path}: partial_rotary_factor {partial} does not give an even number of rotary dimensions of head_dim {headDim}");
        // Qwen2Config / Qwen3Config's sliding_window (4096 when absent) counts only with use_sliding_window.
        int defaultWindow = type is "mistral" or "gemma2" or "gemma3_text"
            || type is "qwen2" or "qwen3" && TransformerConfig.Bool(r, "use_sliding_window", false, path) ? 4096 : 0;
        int window = r.TryGetProperty("sliding_window", out var sw)
            ? sw.ValueKind == JsonValueKind.Null ? 0 : TransformerConfig.IntOr(r, "sliding_window", 0, path)
            : defaultWindow;
        if (window < 0) throw new ModelFormatException($"{path}: key \"sliding_window\" must not be negative");
        // Gemma's use_bidirectional_attention (EmbeddingGemma): no causal mask; Gemma3TextConfig also turns the window
        // into a radius, sliding_window // 2 + 1, that each side of a sliding layer's query sees (|q − k| < radius).
        // Gemma 2's windows under the flag are not implemented; the other configuration classes do not read the key, so
        // it is ignored for them as transformers ignores it.
        bool bidirectional = gemma && TransformerConfig.Bool(r, "use_bidirectional_attention", false, path);
        if (bidirectional && type == "gemma2")
            throw new ModelFormatException($"{path}: use_bidirectional_attention: true is not supported for gemma2 (Skald reads it for gemma3_text)");
        if (bidirectional && type == "gemma3_text" && window > 0) window = window / 2 + 1;
        // attention_dropout is only checked: training passes drop attention probabilities with the run's model.dropout
        // (the tape's Dropout, as BERT's hidden and attention dropout), inference never drops.
        double dropout = TransformerConfig.Number(r, "attention_dropout", path) ?? 0;
        if (!(dropout is >= 0 and < 1))
            throw new ModelFormatException($"{path}: attention_dropout {dropout} must be in [0, 1)");
        return cfg with
        {
            NumKeyValueHeads = kv,
            HeadDim = headDim,
            HiddenAct = act,
            RmsNormEps = TransformerConfig.PositiveEps((float)(TransformerConfig.Number(r, "rms_norm_eps", path) ?? 1e-6), "rms_norm_eps", path),
            RopeTheta = theta,
            RopeLocalTheta = localTheta,
            RopeScaling = scaling,
            PartialRotaryFactor = partial,
            SlidingWindow = window,
            SlidingLayers = LayerTypes(r, type, cfg.NumLayers, window, path),
            UseBidirectionalAttention = bidirectional,
            AttentionBias = TransformerConfig.Bool(r, "attention_bias", false, path),
            MlpBias = TransformerConfig.Bool(r, "mlp_bias", false, path),
            TieWordEmbeddings = TransformerConfig.Bool(r, "tie_word_embeddings", gemma, path),
            QueryPreAttnScalar = (float)(TransformerConfig.Number(r, "query_pre_attn_scalar", path) ?? (type is "gemma2" or "gemma3_text" ? 256 : 0)),
            AttnLogitSoftcapping = (float)(TransformerConfig.Number(r, "attn_logit_softcapping", path, type == "gemma2" ? 50.0 : null) ?? 0),
            FinalLogitSoftcapping = (float)(TransformerConfig.Number(r, "final_logit_softcapping", path, type == "gemma2" ? 30.0 : null) ?? 0),
            InitializerRange = (float)(TransformerConfig.Number(r, "initializer_range", path) ?? 0.02),
            MaxPositionEmbeddings = maxPositions,
        };
    }

    /// <summary>
    /// num_key_value_heads when config.json leaves it out: each configuration class's default (LlamaConfig None, i.e.
    /// num_attention_heads; MistralConfig 8; Qwen2Config / Qwen3Config 32; GemmaConfig 16; Gemma2Config / Gemma3TextConfig 4).
    /// </summary>
    private static int DefaultKeyValueHeads(string type, int heads) => type switch
    {
        "mistral" => 8,
        "qwen2" or "qwen3" => 32,
        "gemma" => 16,
        "gemma2" or "gemma3_text" => 4,
        _ => heads,
    };

    /// <summary>
    /// max_position_embeddings when config.json leaves it out: each configuration class's default (LlamaConfig 2048,
    /// MistralConfig 4096·32, Qwen2Config / Qwen3Config 32768, GemmaConfig / Gemma2Config 8192, Gemma3TextConfig 131072),
    /// so the longest input Skald accepts is the one transformers accepts.
    /// </summary>
    private static int DefaultMaxPositions(string type) => type switch
    {
        "mistral" or "gemma3_text" => 131072,
        "qwen2" or "qwen3" => 32768,
        "gemma" or "gemma2" => 8192,
        _ => 2048,
    };

    /// <summary>Per layer: sliding (true) or full attention, from <c>layer_types</c> or the model type's rule.</summary>
    private static bool[] LayerTypes(JsonElement r, string type, int layers, int window, string path)
    {
        var sliding = new bool[layers];
        if (r.TryGetProperty("layer_types", out var lt) && lt.ValueKind == JsonValueKind.Array)
        {
            if (lt.GetArrayLength() != layers)
                throw new ModelFormatException($"{path}: layer_types has {Counted.Of(lt.GetArrayLength(), "entry", "entries")}, num_hidden_layers is {layers}");
            int i = 0;
            foreach (var e in lt.EnumerateArray())
            {
                sliding[i++] = e.GetString() switch
                {
                    "full_attention" => false,
                    "sliding_attention" => true,
                    var other => throw new ModelFormatException(
                        $"{path}: layer_types[{i - 1}] \"{other}\" is not supported (full_attention, sliding_attention)"),
                };
            }
            return sliding;
        }
        bool useSliding = TransformerConfig.Bool(r, "use_sliding_window", false, path);
        int maxWindowLayers = TransformerConfig.IntOr(r, "max_window_layers", 28, path);
        int pattern = TransformerConfig.IntOr(r, "sliding_window_pattern", 6, path);
        for (int i = 0; i < layers; i++)
        {
            sliding[i] = window > 0 && type switch
            {
                "mistral" => true,
                "qwen2" or "qwen3" => useSliding && i >= maxWindowLayers,
                "gemma2" => i % 2 == 0,
                "gemma3_text" => pattern <= 0 || (i + 1) % pattern != 0,
                _ => false,
            };
        }
        return sliding;
    }

    private static RopeScaling Scaling(JsonElement s, string path, string key)
    {
        if (s.ValueKind == JsonValueKind.Null) return RopeScaling.None;
        if (s.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: key \"{key}\" must be an object or null");
        // transformers reads rope_type, or the older key type; the message names the one the file uses.
        string typeKey = JsonFiles.Str(s, "rope_type", path) is null ? "type" : "rope_type";
        string type = JsonFiles.Str(s, typeKey, path) ?? "default";
        float F(string name) => (float)(TransformerConfig.Number(s, name, path) ?? throw new ModelFormatException($"{path}: {key}.{name} is missing"));
        return type switch
        {
            "default" => RopeScaling.None,
            "linear" => new RopeScaling(RopeScalingType.Linear, F("factor")),
            "llama3" => new RopeScaling(RopeScalingType.Llama3, F("factor"), F("low_freq_factor"), F("high_freq_factor"),
                (int)F("original_max_position_embeddings")),
            _ => throw new ModelFormatException($"{path}: {key}.{typeKey} \"{type}\" is not supported (default, linear, llama3)"),
        };
    }
}
