using System.Text.Json;

namespace Skald.Models.Architectures;

/// <summary>
/// Reads a DistilBERT config.json (model_type distilbert: distilbert-base-*, distiluse-base-multilingual-cased-v1/v2,
/// multi-qa-distilbert-cos-v1) with the defaults of transformers' DistilBertConfig: <c>vocab_size</c> 30522,
/// <c>max_position_embeddings</c> 512, <c>dim</c> 768, <c>n_layers</c> 6, <c>n_heads</c> 12 (each of the last three also
/// under its attribute_map name: hidden_size, num_hidden_layers, num_attention_heads), <c>hidden_dim</c> 3072,
/// <c>activation</c> gelu, <c>initializer_range</c> 0.02, <c>pad_token_id</c> 0. The LayerNorms' epsilon is not a
/// config key: upstream fixes it at 1e-12. There are no token types. <c>sinusoidal_pos_embds</c> (default false) fixes
/// the position table to upstream's sinusoidal one (<see cref="TransformerConfig.SinusoidalPositions"/>); the dropout keys (dropout, attention_dropout, qa_dropout,
/// seq_classif_dropout) are not read: a training run's model.dropout applies. A value Skald cannot run is one line
/// naming the file and the key.
/// Upstream: https://github.com/huggingface/transformers/blob/e368c1a8819d54720956961ea7cd47d99239bd39/src/transformers/models/distilbert/configuration_distilbert.py
/// </summary>
internal static class DistilBertConfigReader
{
    /// <summary>DistilBERT's model_type.</summary>
    public const string ModelType = "distilbert";

    /// <summary>The LayerNorm epsilon every DistilBERT LayerNorm uses (nn.LayerNorm(dim, eps=1e-12) upstream).</summary>
    public const float LayerNormEps = 1e-12f;

    /// <summary>The config of <paramref name="r"/> (read from <paramref name="path"/>).</summary>
    public static TransformerConfig Read(JsonElement r, string path)
    {
        int Positive(string key, string alias, int fallback) => TransformerConfig.PositiveOr(r, key, alias, fallback, path);

        int dim = Positive("dim", "hidden_size", 768), heads = Positive("n_heads", "num_attention_heads", 12);
        if (dim % heads != 0)
            throw new ModelFormatException($"{path}: dim {dim} is not a multiple of n_heads {heads}");
        string act = Modules.JsonFiles.Str(r, "activation", path) ?? "gelu";
        ActivationNames.FromHiddenAct(act, path, "activation");
        return new TransformerConfig
        {
            Source = path,
            ModelType = ModelType,
            VocabSize = Positive("vocab_size", "vocab_size", 30522),
            HiddenSize = dim,
            NumLayers = Positive("n_layers", "num_hidden_layers", 6),
            NumHeads = heads,
            IntermediateSize = Positive("hidden_dim", "hidden_dim", 3072),
            HiddenAct = act,
            MaxPositionEmbeddings = Positive("max_position_embeddings", "max_position_embeddings", 512),
            TypeVocabSize = 0,
            SinusoidalPositions = TransformerConfig.Bool(r, "sinusoidal_pos_embds", false, path),
            LayerNormEps = LayerNormEps,
            PadTokenId = TransformerConfig.IntOr(r, "pad_token_id", 0, path),
            InitializerRange = (float)(TransformerConfig.Number(r, "initializer_range", path) ?? 0.02),
            Architecture = TransformerConfig.ArchitectureOf(r),
        };
    }
}
