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
    /// <c>embeddings</c>) of shape [rows, dimension]. Model2Vec's optional per-token <c>weights</c> [vocabulary] and
    /// vocabulary quantisation <c>mapping</c> [vocabulary] (token id → row) are folded into one [vocabulary, dimension]
    /// table at load, row id = embeddings[mapping[id]]·weights[id], which is what model2vec's <c>_encode_helper</c>
    /// averages.
    /// </summary>
    public static StaticEmbeddingModel Load(string folder)
    {
        using var weights = Checkpoint.OpenFolder(folder);
        string key = weights.Contains("embedding.weight") ? "embedding.weight" : "embeddings";
        var info = weights.Shape(key);
        if (info.Length != 2)
            throw new ModelFormatException($"{weights.Description}: tensor \"{key}\" must be [vocabulary, dimension], found [{string.Join(", ", info)}]");
        bool mapped = weights.Contains("mapping"), weighted = weights.Contains("weights");
        var table = mapped || weighted ? Folded(weights, key, info[0], info[1], mapped, weighted)
            : ParameterBuilder.FromCheckpoint(weights).Table(key, info[0], info[1]);
        var config = new TransformerConfig
        {
            ModelType = "static", VocabSize = table.Shape[0], HiddenSize = info[1], NumLayers = 0, NumHeads = 1,
            IntermediateSize = 0, MaxPositionEmbeddings = int.MaxValue, Source = folder, Architecture = "StaticEmbedding",
        };
        return new StaticEmbeddingModel(config, table);
    }

    /// <inheritdoc />
    public Variable Forward(Tape tape, TokenBatch tokens) => Ops.Gather(tape, tokens.Ids, table);

    // Model2Vec's mapping and weights folded into one table: row id = embeddings[mapping[id]] · weights[id].
    private static Parameter Folded(Checkpoint weights, string key, int rows, int dim, bool mapped, bool weighted)
    {
        int vocab = mapped ? weights.Shape("mapping") is [int m] ? m : throw new ModelFormatException($"{weights.Description}: tensor \"mapping\" must be 1-D [vocabulary]")
            : rows;
        var embeddings = weights.Read(key, rows, dim);
        var mapping = mapped ? weights.ReadIndices("mapping", vocab, rows) : null;
        var scale = weighted ? weights.Read("weights", vocab) : null;
        var table = new float[(long)vocab * dim];
        for (int id = 0; id < vocab; id++)
        {
            var row = table.AsSpan(id * dim, dim);
            embeddings.AsSpan((mapping?[id] ?? id) * dim, dim).CopyTo(row);
            if (scale is not null) System.Numerics.Tensors.TensorPrimitives.Multiply(row, scale[id], row);
        }
        return new Parameter(key, table, [vocab, dim], weightDecay: false) { IsTable = true };
    }
}
