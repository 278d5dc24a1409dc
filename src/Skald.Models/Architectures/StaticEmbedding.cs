using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// sentence-transformers' StaticEmbedding (Model2Vec-style): a token-embedding table whose mean over a text's tokens
/// (no special tokens, no truncation) is the text's embedding — sentence_transformers/models/StaticEmbedding.py, an
/// <c>nn.EmbeddingBag</c> in mean mode. Exposed as an encoder without context (hidden[b, t] = table[id]) so that the
/// module chain's mean pooling over the mask reproduces the bag mean exactly.
/// </summary>
public sealed class StaticEmbeddingModel : ITransformer
{
    private readonly Parameter table; // embedding.weight [V, D]

    private StaticEmbeddingModel(TransformerConfig config, Parameter table)
    {
        Config = config;
        this.table = table;
    }

    /// <summary>The module's type name in modules.json.</summary>
    public const string ModuleType = "sentence_transformers.models.StaticEmbedding";

    /// <inheritdoc />
    public TransformerConfig Config { get; }

    /// <inheritdoc />
    public int HiddenSize => Config.HiddenSize;

    /// <inheritdoc />
    public int MaxSequenceLength => int.MaxValue;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters => [table];

    /// <summary>The embedding table [V, D] (row i is token i).</summary>
    public ReadOnlySpan<float> Table => table.Data.Span;

    /// <summary>
    /// Loads a StaticEmbedding module folder: model.safetensors with <c>embedding.weight</c> (or Model2Vec's
    /// <c>embeddings</c>) of shape [vocabulary, dimension].
    /// </summary>
    public static StaticEmbeddingModel Load(string folder)
    {
        using var weights = Checkpoint.OpenFolder(folder);
        string key = weights.Contains("embedding.weight") ? "embedding.weight" : "embeddings";
        var info = weights.Shape(key);
        if (info.Length != 2)
            throw new ModelFormatException($"{weights.Description}: tensor \"{key}\" must be [vocabulary, dimension], found [{string.Join(", ", info)}]");
        var table = ParameterBuilder.FromCheckpoint(weights).Table(key, info[0], info[1]);
        var config = new TransformerConfig
        {
            ModelType = "static", VocabSize = info[0], HiddenSize = info[1], NumLayers = 0, NumHeads = 1,
            IntermediateSize = 0, MaxPositionEmbeddings = int.MaxValue, Source = folder, Architecture = "StaticEmbedding",
        };
        return new StaticEmbeddingModel(config, table);
    }

    /// <inheritdoc />
    public Variable Forward(Tape tape, TokenBatch tokens) => Ops.Gather(tape, tokens.Ids, table);
}
