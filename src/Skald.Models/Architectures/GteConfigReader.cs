using System.Text.Json;
using Skald.Models.Modules;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// Reads the config.json of GTE's "NewModel" (Alibaba-NLP/gte-multilingual-base, gte-*-en-v1.5,
/// Snowflake/snowflake-arctic-embed-m-v2.0; recognised by its <c>auto_map</c> naming <c>modeling.NewModel</c>, see
/// <see cref="CustomCode"/>, whatever model_type says: "new" or "gte") with the defaults of new-impl's NewConfig
/// (Alibaba-NLP/new-impl configuration.py, read as stored file 6707604277): position_embedding_type "rope" | "absolute",
/// rope_theta 10000, rope_scaling null or {"type": "ntk", "factor", "mixed_b"?}, layer_norm_type "layer_norm" |
/// "rms_norm", layer_norm_eps 1e-12, type_vocab_size 1 (0: no token-type table), max_position_embeddings 2048,
/// pack_qkv true, hidden_act of the gated MLP. unpad_inputs and use_memory_efficient_attention change how upstream
/// computes, not what, and are not read; logn_attention_scale and logn_attention_clip1 (default false: a per-sequence
/// query scale, <see cref="Gte.LognFactor"/>); tie_word_embeddings (default true: NewForMaskedLM's decoder is the word
/// embedding table). Values Skald cannot run fail with one line naming the file and the key.
/// </summary>
internal static class GteConfigReader
{
    /// <summary>The model type <see cref="CustomCode"/> gives new-impl's <c>modeling.NewModel</c>.</summary>
    public const string ModelType = "gte";

    /// <summary><paramref name="cfg"/> (the common keys) completed with NewConfig's keys of <paramref name="r"/>.</summary>
    public static TransformerConfig Read(JsonElement r, TransformerConfig cfg)
    {
        string path = cfg.Source;
        if (cfg.HiddenSize % cfg.NumHeads != 0)
            throw new ModelFormatException($"{path}: hidden_size {cfg.HiddenSize} is not a multiple of num_attention_heads {cfg.NumHeads}");
        string act = JsonFiles.Str(r, "hidden_act", path) ?? "gelu";
        ActivationNames.GateFromHiddenAct(act, path);
        bool rope = (JsonFiles.Str(r, "position_embedding_type", path) ?? "rope") switch
        {
            "rope" => true,
            "absolute" => false,
            var other => throw new ModelFormatException($"{path}: position_embedding_type \"{other}\" is not supported for GTE (rope, absolute)"),
        };
        bool rms = (JsonFiles.Str(r, "layer_norm_type", path) ?? "layer_norm") switch
        {
            "layer_norm" => false,
            "rms_norm" => true,
            var other => throw new ModelFormatException($"{path}: layer_norm_type \"{other}\" is not supported (layer_norm, rms_norm)"),
        };
        int types = TransformerConfig.IntOr(r, "type_vocab_size", 1, path);
        if (types < 0) throw new ModelFormatException($"{path}: key \"type_vocab_size\" must be 0 or more, found {types}");
        int maxPositions = TransformerConfig.IntOr(r, "max_position_embeddings", 2048, path);
        if (maxPositions <= 0) throw new ModelFormatException($"{path}: key \"max_position_embeddings\" must be a positive integer, found {maxPositions}");
        bool logn = TransformerConfig.Bool(r, "logn_attention_scale", false, path);
        if (logn && maxPositions < 2)
            throw new ModelFormatException($"{path}: key \"logn_attention_scale\" needs max_position_embeddings of 2 or more (the scale divides by its logarithm), found {maxPositions}");
        double theta = TransformerConfig.Number(r, "rope_theta", path) ?? 10000;
        if (!(theta > 0)) throw new ModelFormatException($"{path}: key \"rope_theta\" must be positive, found {theta}");
        var scaling = r.TryGetProperty("rope_scaling", out var rs) ? Scaling(rs, path) : RopeScaling.None;
        if (rope && (cfg.HiddenSize / cfg.NumHeads) % 2 != 0)
            throw new ModelFormatException($"{path}: the head size {cfg.HiddenSize / cfg.NumHeads} (hidden_size / num_attention_heads) must be even for RoPE");
        return cfg with
        {
            HiddenAct = act,
            TypeVocabSize = types,
            MaxPositionEmbeddings = maxPositions,
            RopeTheta = theta,
            RopeScaling = scaling,
            TieWordEmbeddings = TransformerConfig.Bool(r, "tie_word_embeddings", true, path),
            Gte = new GteSettings(rope, rms, TransformerConfig.Bool(r, "pack_qkv", true, path),
                logn, TransformerConfig.Bool(r, "logn_attention_clip1", false, path)),
        };
    }

    /// <summary>rope_scaling: null, or new-impl's {"type": "ntk", "factor": f ≥ 1, "mixed_b": b (optional)}.</summary>
    private static RopeScaling Scaling(JsonElement s, string path)
    {
        if (s.ValueKind == JsonValueKind.Null) return RopeScaling.None;
        if (s.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: key \"rope_scaling\" must be an object or null");
        string typeKey = s.TryGetProperty("type", out _) ? "type" : "rope_type";
        string type = JsonFiles.Str(s, typeKey, path) ?? throw new ModelFormatException($"{path}: rope_scaling.type is missing");
        if (type != "ntk")
            throw new ModelFormatException($"{path}: rope_scaling.{typeKey} \"{type}\" is not supported for GTE (ntk)");
        double factor = TransformerConfig.Number(s, "factor", path) ?? throw new ModelFormatException($"{path}: rope_scaling.factor is missing");
        if (!(factor >= 1))
            throw new ModelFormatException($"{path}: rope_scaling.factor must be at least 1, found {factor}");
        double? mixedB = TransformerConfig.Number(s, "mixed_b", path);
        if (mixedB is { } b && !(b > 0)) throw new ModelFormatException($"{path}: rope_scaling.mixed_b must be positive, found {b}");
        return new RopeScaling(RopeScalingType.Ntk, (float)factor, MixedB: mixedB is { } m ? (float)m : null);
    }
}
