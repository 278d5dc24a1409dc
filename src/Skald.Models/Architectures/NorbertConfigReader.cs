using System.Text.Json;

namespace Skald.Models.Architectures;

/// <summary>
/// Reads NorBERT3's (LTG-BERT's) config.json keys, as its configuration_norbert.py NorbertConfig defines them:
/// position_bucket_size (required: it fixes the relative-embedding table, and a config without it is not NorBERT's)
/// and layer_norm_eps (NorbertConfig's default 1e-7 when absent). The config is recognised by its auto_map
/// (<see cref="CustomCode"/>); a missing NorBERT key is one line naming the file and the key.
/// </summary>
internal static class NorbertConfigReader
{
    /// <summary>The model type <see cref="CustomCode"/> gives modeling_norbert / modeling_ltgbert.</summary>
    public const string ModelType = "norbert";

    /// <summary><paramref name="cfg"/> (the common keys) completed with the NorBERT keys of <paramref name="r"/>.</summary>
    public static TransformerConfig Read(JsonElement r, TransformerConfig cfg)
    {
        string path = cfg.Source;
        if (!r.TryGetProperty("position_bucket_size", out _))
            throw new ModelFormatException(
                $"{path}: looks like NorBERT3 (auto_map modeling_norbert) but position_bucket_size is missing");
        int bucket = TransformerConfig.Int(r, "position_bucket_size", path);
        if (bucket < 2 || bucket % 2 != 0)
            throw new ModelFormatException($"{path}: position_bucket_size {bucket} must be an even number of at least 2");
        if (cfg.MaxPositionEmbeddings <= bucket / 2 + 1)
            throw new ModelFormatException(
                $"{path}: max_position_embeddings {cfg.MaxPositionEmbeddings} must exceed half of position_bucket_size {bucket} + 1");
        if (cfg.HiddenSize % cfg.NumHeads != 0)
            throw new ModelFormatException($"{path}: hidden_size {cfg.HiddenSize} is not a multiple of num_attention_heads {cfg.NumHeads}");
        float eps = TransformerConfig.Number(r, "layer_norm_eps", path) is { } e
            ? TransformerConfig.PositiveEps((float)e, "layer_norm_eps", path) : 1e-7f;
        // The feed-forward is GEGLU with transformers' gelu_new (tanh approximation) whatever hidden_act says.
        return cfg with { PositionBucketSize = bucket, LayerNormEps = eps, HiddenAct = "gelu_new" };
    }
}
