using Skald.Models.Modules;
using Skald.Retrieval.Models;

namespace Skald.Training.Evaluation;

/// <summary>
/// The model being trained as the shared evaluation core's <see cref="IEmbeddingModel"/>: texts go through an encode
/// function (<see cref="ITrainableModel.Encode"/> with the current weights) with the role prompt of
/// <see cref="RolePrompts"/> put in front, as <c>skald evaluate</c> feeds a saved model. The prompt's tokens stay in
/// the pooling (a model with <c>include_prompt: false</c> pools without them when evaluated from its folder).
/// Documents are never chunked: <see cref="SplitToFit"/> returns the text (the encoder truncates it).
/// </summary>
public sealed class TrainingEmbeddingModel : IEmbeddingModel
{
    private readonly Func<IReadOnlyList<string>, float[][]> encode;
    private readonly Func<IReadOnlyList<string>, float[][]>? encodeQueries;
    private readonly IReadOnlyDictionary<string, string> prompts;
    private readonly string? taskName, taskType; // a task view's (ForTask); null on the model itself

    /// <summary>An embedding model over <paramref name="encode"/> (texts → one vector each, in input order).</summary>
    /// <param name="encode">Texts → one vector each, in input order.</param>
    /// <param name="dimension">Embedding width.</param>
    /// <param name="similarity">The model's similarity function.</param>
    /// <param name="prompts">Role prompts (sentence-transformers' prompts).</param>
    /// <param name="name">Name in reports.</param>
    /// <param name="encodeQueries">Queries' own encode (an LLM2Vec model's, with its instruction); null: <paramref name="encode"/> with the role prompt.</param>
    /// <param name="sparse">Whether the vectors are a sparse encoder's (searched through an inverted index).</param>
    public TrainingEmbeddingModel(Func<IReadOnlyList<string>, float[][]> encode, int dimension, SimilarityFunction similarity,
        IReadOnlyDictionary<string, string>? prompts = null, string name = "training",
        Func<IReadOnlyList<string>, float[][]>? encodeQueries = null, bool sparse = false)
    {
        IsSparse = sparse;
        this.encode = encode;
        this.encodeQueries = encodeQueries;
        this.prompts = prompts ?? new Dictionary<string, string>();
        Dimension = dimension;
        Similarity = similarity;
        Name = name;
    }

    /// <summary>
    /// The trainable model's inference encode at <paramref name="batchSize"/>, with its folder's similarity and prompts;
    /// an LLM2Vec model with a query instruction (<c>data.instruction</c>) encodes queries with it.
    /// </summary>
    /// <remarks>
    /// With <paramref name="truncateDim"/> every vector is its first N values (sentence-transformers' <c>truncate_dim</c>:
    /// cut after the model's modules, not normalised again, as <c>skald evaluate --truncate-dim</c> cuts a saved model's);
    /// a width outside 1..<see cref="ITrainableModel.Dimension"/> is one line.
    /// </remarks>
    public static TrainingEmbeddingModel For(ITrainableModel model, int batchSize, int? truncateDim = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (truncateDim is { } cut && (cut < 1 || cut > model.Dimension))
            throw new Skald.Retrieval.EvaluationException($"truncate_dim {cut} is not in 1..{model.Dimension} (the model's dimension)");
        Func<IReadOnlyList<string>, float[][]> Cut(Func<IReadOnlyList<string>, float[][]> encode) =>
            truncateDim is not { } n ? encode : texts => [.. encode(texts).Select(v => v[..n])];
        return new(Cut(texts => model.Encode(texts, batchSize)), truncateDim ?? model.Dimension, model.Source.Similarity, model.Source.Prompts,
            encodeQueries: model is Modeling.TrainableEncoder { QueryInstruction: not null } encoder
                ? Cut(texts => encoder.Encode(texts, batchSize, query: true))
                : null,
            sparse: model is Modeling.TrainableEncoder { Model.IsSparse: true });
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public SimilarityFunction Similarity { get; }

    /// <inheritdoc/>
    public bool IsSparse { get; }

    // A view of source that picks prompts by a task's keys.
    private TrainingEmbeddingModel(TrainingEmbeddingModel source, string taskName, string? taskType)
        : this(source.encode, source.Dimension, source.Similarity, source.prompts, source.Name, source.encodeQueries, source.IsSparse)
    {
        this.taskName = taskName;
        this.taskType = taskType;
    }

    /// <inheritdoc/>
    /// <remarks>A view when the prompts have task keys (<see cref="RolePrompts.HasTaskKeys"/>), as <c>skald evaluate</c> picks them.</remarks>
    public IEvaluationModel ForTask(string taskName, string? taskType) =>
        RolePrompts.HasTaskKeys(prompts) ? new TrainingEmbeddingModel(this, taskName, taskType) : this;

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, TextRole role)
    {
        if (role == TextRole.Query && encodeQueries is not null) return encodeQueries(texts);
        string? prompt = RolePrompts.For(prompts, role, taskName, taskType);
        return encode(prompt is null ? texts : [.. texts.Select(t => prompt + t)]);
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> SplitToFit(string text, TextRole role) => [text];
}
