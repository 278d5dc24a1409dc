using System.Text.Json;
using Skald.Models.Modules;

namespace Skald.Models.Architectures;

/// <summary>
/// Reads ModernBERT's config.json keys (model_type <c>modernbert</c>: answerdotai/ModernBERT-*, jhu-clsp/mmBERT-*,
/// Fremtind/mmBERT-base-norwegian) with the defaults of transformers' ModernBertConfig
/// (https://github.com/huggingface/transformers/blob/001f85b38fb432858ace93f18622f07cec46d874/src/transformers/models/modernbert/configuration_modernbert.py):
/// hidden_activation, norm_eps / norm_bias, attention_bias / mlp_bias, local_attention and global_attn_every_n_layers
/// (or the newer layer_types), global_rope_theta / local_rope_theta (or the newer rope_parameters), the masked-LM head's
/// decoder_bias / classifier_bias / classifier_activation, initializer_range / initializer_cutoff_factor. The hub's
/// <c>position_embedding_type</c> ("absolute", mmBERT's "sans_pos") is not read by ModernBERT and is ignored here too.
/// Values Skald cannot run fail with one line naming the file and the key.
/// </summary>
internal static class ModernBertConfigReader
{
    /// <summary>config.json's model_type of ModernBERT.</summary>
    public const string ModelType = "modernbert";

    /// <summary><paramref name="cfg"/> (the common keys) completed with ModernBERT's keys of <paramref name="r"/>.</summary>
    public static TransformerConfig Read(JsonElement r, TransformerConfig cfg)
    {
        string path = cfg.Source;
        if (cfg.HiddenSize % cfg.NumHeads != 0)
            throw new ModelFormatException($"{path}: hidden_size {cfg.HiddenSize} is not a multiple of num_attention_heads {cfg.NumHeads}");
        if ((cfg.HiddenSize / cfg.NumHeads) % 2 != 0)
            throw new ModelFormatException($"{path}: the head size {cfg.HiddenSize / cfg.NumHeads} (hidden_size / num_attention_heads) must be even for RoPE");
        string act = JsonFiles.Str(r, "hidden_activation", path) ?? "gelu";
        ActivationNames.GateFromHiddenAct(act, path, "hidden_activation");
        string classifierAct = JsonFiles.Str(r, "classifier_activation", path) ?? "gelu";
        try
        {
            ActivationNames.FromHiddenAct(classifierAct, path);
        }
        catch (ModelFormatException)
        {
            throw new ModelFormatException($"{path}: classifier_activation \"{classifierAct}\" is not supported (gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, tanh, sigmoid)");
        }
        double eps = TransformerConfig.Number(r, "norm_eps", path) ?? 1e-5;
        if (!(eps > 0)) throw new ModelFormatException($"{path}: key \"norm_eps\" must be positive, found {eps}");
        int local = Positive(r, "local_attention", 128, path);
        int every = Positive(r, "global_attn_every_n_layers", 3, path);
        var sliding = new bool[cfg.NumLayers];
        for (int i = 0; i < sliding.Length; i++) sliding[i] = i % every != 0;
        CheckLayerTypes(r, sliding, path);
        var (globalTheta, localTheta) = RopeThetas(r, path);
        foreach (string key in (string[])["attention_dropout", "embedding_dropout", "mlp_dropout", "classifier_dropout"])
        {
            double p = TransformerConfig.Number(r, key, path) ?? 0;
            if (!(p is >= 0 and < 1)) throw new ModelFormatException($"{path}: key \"{key}\" must be in [0, 1), found {p}");
        }
        double cutoff = TransformerConfig.Number(r, "initializer_cutoff_factor", path, absent: 2.0) ?? 3.0; // _init_weights: None means 3
        return cfg with
        {
            HiddenAct = act,
            LayerNormEps = (float)eps,
            NormBias = TransformerConfig.Bool(r, "norm_bias", false, path),
            AttentionBias = TransformerConfig.Bool(r, "attention_bias", false, path),
            MlpBias = TransformerConfig.Bool(r, "mlp_bias", false, path),
            DecoderBias = TransformerConfig.Bool(r, "decoder_bias", true, path),
            ClassifierBias = TransformerConfig.Bool(r, "classifier_bias", false, path),
            ClassifierActivation = classifierAct,
            TieWordEmbeddings = TransformerConfig.Bool(r, "tie_word_embeddings", true, path),
            RopeTheta = globalTheta,
            RopeLocalTheta = localTheta,
            // Local layers keep keys with |t − s| ≤ local_attention // 2 (ModernBertModel._update_attention_mask);
            // AttentionScoring's window w keeps |t − s| < w.
            SlidingWindow = local / 2 + 1,
            SlidingLayers = sliding,
            MaxPositionEmbeddings = Positive(r, "max_position_embeddings", 8192, path),
            PadTokenId = TransformerConfig.IntOr(r, "pad_token_id", 50283, path),
            InitializerRange = (float)(TransformerConfig.Number(r, "initializer_range", path) ?? 0.02),
            InitializerCutoffFactor = (float)cutoff,
        };
    }

    /// <summary>layer_types, when present, must say what global_attn_every_n_layers says (transformers reads the window from one, RoPE from the other).</summary>
    private static void CheckLayerTypes(JsonElement r, bool[] sliding, string path)
    {
        if (!r.TryGetProperty("layer_types", out var lt) || lt.ValueKind == JsonValueKind.Null) return;
        if (lt.ValueKind != JsonValueKind.Array || lt.GetArrayLength() != sliding.Length)
            throw new ModelFormatException($"{path}: key \"layer_types\" must list one type per layer ({sliding.Length})");
        int i = 0;
        foreach (var e in lt.EnumerateArray())
        {
            bool s = e.ValueKind == JsonValueKind.String ? e.GetString() switch
            {
                "sliding_attention" => true,
                "full_attention" => false,
                var other => throw new ModelFormatException(
                    $"{path}: layer_types[{i}] \"{other}\" is not supported (full_attention, sliding_attention)"),
            } : throw new ModelFormatException($"{path}: layer_types[{i}] must be a string");
            if (s != sliding[i])
                throw new ModelFormatException(
                    $"{path}: layer_types[{i}] \"{e.GetString()}\" disagrees with global_attn_every_n_layers (layer i is global when i % n == 0)");
            i++;
        }
    }

    /// <summary>RoPE bases of global and local layers: rope_parameters.{full,sliding}_attention.rope_theta, else global_rope_theta / local_rope_theta.</summary>
    private static (double Global, double Local) RopeThetas(JsonElement r, string path)
    {
        if (r.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind != JsonValueKind.Null)
            CheckDefaultRope(rs, path, "rope_scaling");
        double global = TransformerConfig.Number(r, "global_rope_theta", path) ?? 160000;
        // local_rope_theta null: the global base (transformers before rope_parameters).
        double local = r.TryGetProperty("local_rope_theta", out _) ? TransformerConfig.Number(r, "local_rope_theta", path) ?? global : 10000;
        if (r.TryGetProperty("rope_parameters", out var rp) && rp.ValueKind == JsonValueKind.Object)
        {
            if (rp.TryGetProperty("full_attention", out var full) && full.ValueKind == JsonValueKind.Object)
            {
                CheckDefaultRope(full, path, "rope_parameters.full_attention");
                global = TransformerConfig.Number(full, "rope_theta", path) ?? global;
            }
            if (rp.TryGetProperty("sliding_attention", out var slide) && slide.ValueKind == JsonValueKind.Object)
            {
                CheckDefaultRope(slide, path, "rope_parameters.sliding_attention");
                local = TransformerConfig.Number(slide, "rope_theta", path) ?? local;
            }
        }
        if (!(global > 0)) throw new ModelFormatException($"{path}: the global RoPE base (global_rope_theta) must be positive, found {global}");
        if (!(local > 0)) throw new ModelFormatException($"{path}: the local RoPE base (local_rope_theta) must be positive, found {local}");
        return (global, local);
    }

    private static void CheckDefaultRope(JsonElement e, string path, string key)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: key \"{key}\" must be an object or null");
        string type = JsonFiles.Str(e, "rope_type", path) ?? JsonFiles.Str(e, "type", path) ?? "default";
        if (type != "default")
            throw new ModelFormatException($"{path}: {key}.rope_type \"{type}\" is not supported for modernbert (only default)");
    }

    private static int Positive(JsonElement r, string key, int fallback, string path)
    {
        int v = TransformerConfig.IntOr(r, key, fallback, path);
        if (v <= 0) throw new ModelFormatException($"{path}: key \"{key}\" must be a positive integer, found {v}");
        return v;
    }
}
