using System.Text.Json;
using Skald.Models.Modules;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// The parts of a Hugging Face <c>config.json</c> that Skald's architectures use: BERT-style encoders and the decoders
/// (Llama, Mistral, Qwen2/3, Gemma 1/2/3; their keys are read by <see cref="DecoderConfigReader"/>, with each
/// model_type's transformers defaults; GPT-2's by <see cref="Gpt2ConfigReader"/>, DistilBERT's by <see cref="DistilBertConfigReader"/>), ModernBERT (<see cref="ModernBertConfigReader"/>) and GTE (<see cref="GteConfigReader"/>). Other keys in the file are ignored, as transformers ignores what an
/// architecture does not read.
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

    /// <summary><c>num_key_value_heads</c> (0: as many as <see cref="NumHeads"/>).</summary>
    public int NumKeyValueHeads { get; init; }

    /// <summary>Key/value heads Hkv (grouped-query attention when below <see cref="NumHeads"/>).</summary>
    public int KeyValueHeads => NumKeyValueHeads > 0 ? NumKeyValueHeads : NumHeads;

    /// <summary><c>head_dim</c> (0: hidden_size / num_attention_heads).</summary>
    public int HeadDim { get; init; }

    /// <summary>Head size D.</summary>
    public int HeadSize => HeadDim > 0 ? HeadDim : HiddenSize / NumHeads;

    /// <summary><c>rms_norm_eps</c>.</summary>
    public float RmsNormEps { get; init; } = 1e-6f;

    /// <summary><c>rope_theta</c> (global layers).</summary>
    public double RopeTheta { get; init; } = 10000;

    /// <summary>Gemma 3's <c>rope_local_base_freq</c>: the RoPE base of sliding-window layers (no scaling).</summary>
    public double RopeLocalTheta { get; init; } = 10000;

    /// <summary><c>rope_scaling</c> (global layers).</summary>
    public RopeScaling RopeScaling { get; init; } = RopeScaling.None;

    /// <summary><c>partial_rotary_factor</c>: the rotated fraction of each head.</summary>
    public double PartialRotaryFactor { get; init; } = 1.0;

    /// <summary><c>sliding_window</c> of the sliding-attention layers (0: none).</summary>
    public int SlidingWindow { get; init; }

    /// <summary>
    /// Gemma's <c>use_bidirectional_attention</c> (EmbeddingGemma): the model attends in both directions unless told
    /// otherwise; for Gemma 3, <see cref="SlidingWindow"/> is then a radius (transformers' sliding_window / 2 + 1).
    /// </summary>
    public bool UseBidirectionalAttention { get; init; }

    /// <summary>Per layer, whether it uses the sliding window (<c>layer_types</c>, or each model_type's rule); empty: none do.</summary>
    public IReadOnlyList<bool> SlidingLayers { get; init; } = [];

    /// <summary><c>attention_bias</c>: biases on q/k/v/o projections (Qwen2 has q/k/v biases regardless).</summary>
    public bool AttentionBias { get; init; }

    /// <summary><c>mlp_bias</c>: biases on gate/up/down projections.</summary>
    public bool MlpBias { get; init; }

    /// <summary><c>tie_word_embeddings</c>: the LM head reuses embed_tokens.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary><c>query_pre_attn_scalar</c> (Gemma 2/3: attention scale = its −½ power; 0: 1/√head_dim).</summary>
    public float QueryPreAttnScalar { get; init; }

    /// <summary><c>attn_logit_softcapping</c> (0: none).</summary>
    public float AttnLogitSoftcapping { get; init; }

    /// <summary><c>final_logit_softcapping</c> of the LM head (0: none).</summary>
    public float FinalLogitSoftcapping { get; init; }

    /// <summary><c>initializer_range</c>: the std of transformers' normal initialisation.</summary>
    public float InitializerRange { get; init; } = 0.02f;

    /// <summary>GPT-2's <c>scale_attn_weights</c>: attention scores divided by √head_dim (else not scaled).</summary>
    public bool ScaleAttnWeights { get; init; } = true;

    /// <summary>GPT-2's <c>scale_attn_by_inverse_layer_idx</c>: layer i's scores also divided by i + 1.</summary>
    public bool ScaleAttnByInverseLayerIdx { get; init; }

    /// <summary>
    /// GPT-2's <c>add_cross_attention</c>: every block carries a cross-attention part (a decoder saved from TSDAE or an
    /// encoder-decoder), read with the model and skipped by a plain forward, as transformers skips it without encoder states.
    /// </summary>
    public bool AddCrossAttention { get; init; }

    /// <summary>NorBERT3's <c>position_bucket_size</c>: relative distances are put in 2·this − 1 log buckets.</summary>
    public int PositionBucketSize { get; init; }

    /// <summary>
    /// DistilBERT's <c>sinusoidal_pos_embds</c>: the position table is upstream's fixed sinusoidal one (read from the
    /// checkpoint, computed for a new model) and is not trained.
    /// </summary>
    public bool SinusoidalPositions { get; init; }

    /// <summary>ModernBERT's <c>norm_bias</c>: biases on its LayerNorms.</summary>
    public bool NormBias { get; init; }

    /// <summary>ModernBERT's <c>decoder_bias</c>: a bias on the masked-LM decoder.</summary>
    public bool DecoderBias { get; init; } = true;

    /// <summary>ModernBERT's <c>classifier_bias</c>: a bias on the prediction head's dense layer.</summary>
    public bool ClassifierBias { get; init; }

    /// <summary>ModernBERT's <c>classifier_activation</c> (the prediction head's activation).</summary>
    public string ClassifierActivation { get; init; } = "gelu";

    /// <summary>ModernBERT's <c>initializer_cutoff_factor</c>: truncated-normal bounds ±factor·std.</summary>
    public float InitializerCutoffFactor { get; init; } = 2f;

    /// <summary>Whether layer <paramref name="layer"/> attends through the sliding window.</summary>
    public bool IsSliding(int layer) => SlidingWindow > 0 && layer < SlidingLayers.Count && SlidingLayers[layer];

    /// <summary>GTE NewModel's own fields (null for other architectures).</summary>
    public GteSettings? Gte { get; init; }

    /// <summary>NorBERT4 / GPT-BERT's own fields (null for other architectures).</summary>
    public GptBertSettings? GptBert { get; init; }

    /// <summary><c>architectures[0]</c> when present.</summary>
    public string? Architecture { get; init; }

    /// <summary>The file this was read from, for messages.</summary>
    public string Source { get; init; } = "config.json";

    /// <summary>Reads and checks <paramref name="path"/>; errors name the file and key.</summary>
    public static TransformerConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: file not found");
        using (var doc = JsonFiles.Read(path))
        {
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: expected a JSON object");
            // Custom-code checkpoints (auto_map → modeling_*.py) are known by the module they load, whatever model_type says.
            string modelType = CustomCode.ModelType(r, path) ?? JsonFiles.Str(r, "model_type", path)
                ?? throw new ModelFormatException($"{path}: missing key \"model_type\"");
            if (modelType == GptBertConfigReader.ModelType) return GptBertConfigReader.Read(r, path);
            if (modelType == Gpt2ConfigReader.ModelType) return Gpt2ConfigReader.Read(r, path);
            if (modelType == DistilBertConfigReader.ModelType) return DistilBertConfigReader.Read(r, path);
            string posType = JsonFiles.Str(r, "position_embedding_type", path) ?? "absolute";
            bool modernBert = modelType == ModernBertConfigReader.ModelType; // ignores position_embedding_type (mmBERT: "sans_pos")
            bool gte = modelType == GteConfigReader.ModelType; // rope or absolute, read by its reader
            if (posType != "absolute" && !modernBert && !gte)
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
                HiddenAct = JsonFiles.Str(r, "hidden_act", path) ?? (DecoderConfigReader.IsDecoder(modelType) ? "silu" : "gelu"),
                MaxPositionEmbeddings = IntOr(r, "max_position_embeddings", 512, path),
                TypeVocabSize = IntOr(r, "type_vocab_size", 2, path),
                LayerNormEps = Number(r, "layer_norm_eps", path) is { } eps ? PositiveEps((float)eps, "layer_norm_eps", path) : 1e-12f,
                PadTokenId = IntOr(r, "pad_token_id", 0, path),
                Architecture = ArchitectureOf(r),
            };
            if (DecoderConfigReader.IsDecoder(modelType)) return DecoderConfigReader.Read(r, cfg);
            if (modelType == NorbertConfigReader.ModelType) return NorbertConfigReader.Read(r, cfg);
            if (modernBert) return ModernBertConfigReader.Read(r, cfg);
            if (gte) return GteConfigReader.Read(r, cfg);
            if (cfg.HiddenSize % cfg.NumHeads != 0)
                throw new ModelFormatException($"{path}: hidden_size {cfg.HiddenSize} is not a multiple of num_attention_heads {cfg.NumHeads}");
            return cfg;
        }
    }

    /// <summary>A norm's epsilon, which must be a finite number above 0 (else x/√(var + eps) is NaN or infinite).</summary>
    internal static float PositiveEps(float eps, string key, string path) => float.IsFinite(eps) && eps > 0
        ? eps
        : throw new ModelFormatException($"{path}: key \"{key}\" must be a small positive number, found {eps.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    /// <summary>A number key: <paramref name="absent"/> when missing, null when JSON null; anything else is an error naming the key.</summary>
    internal static double? Number(JsonElement r, string key, string path, double? absent = null)
    {
        if (!r.TryGetProperty(key, out var v)) return absent;
        if (v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number) throw new ModelFormatException($"{path}: key \"{key}\" must be a number, found {v.GetRawText()}");
        return v.GetDouble();
    }

    /// <summary>A true/false key: <paramref name="fallback"/> when missing or null; anything else is an error naming the key.</summary>
    internal static bool Bool(JsonElement r, string key, bool fallback, string path)
    {
        if (!r.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ModelFormatException($"{path}: key \"{key}\" must be true or false, found {v.GetRawText()}"),
        };
    }

    internal static int Int(JsonElement r, string key, string path)
    {
        if (!r.TryGetProperty(key, out var v)) throw new ModelFormatException($"{path}: missing key \"{key}\"");
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int x) || x <= 0)
            throw new ModelFormatException($"{path}: key \"{key}\" must be a positive integer, found {v.GetRawText()}");
        return x;
    }

    /// <summary>config.json's <c>architectures[0]</c> when it is a string, else null.</summary>
    internal static string? ArchitectureOf(JsonElement r) => r.TryGetProperty("architectures", out var a)
        && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0 && a[0].ValueKind == JsonValueKind.String ? a[0].GetString() : null;

    /// <summary>
    /// A positive integer under <paramref name="key"/>, else under its transformers attribute_map name
    /// <paramref name="alias"/> (GPT-2's n_embd / hidden_size, DistilBERT's dim / hidden_size), else
    /// <paramref name="fallback"/>; anything else is an error naming the key read.
    /// </summary>
    internal static int PositiveOr(JsonElement r, string key, string alias, int fallback, string path)
    {
        string name = r.TryGetProperty(key, out _) || !r.TryGetProperty(alias, out _) ? key : alias;
        int x = IntOr(r, name, fallback, path);
        return x > 0 ? x : throw new ModelFormatException($"{path}: key \"{name}\" must be a positive integer, found {x}");
    }

    internal static int IntOr(JsonElement r, string key, int fallback, string path)
    {
        if (!r.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int x))
            throw new ModelFormatException($"{path}: key \"{key}\" must be an integer, found {v.GetRawText()}");
        return x;
    }
}
