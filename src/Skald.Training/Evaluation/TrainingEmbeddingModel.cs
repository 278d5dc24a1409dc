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
    private readonly int encodedDimension; // the width encode gives; Dimension may be narrower (Truncated)
    private readonly bool sharedVectors; // encode gives a cache's own vectors (Cached), handed out as copies

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
        encodedDimension = dimension;
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
        var full = new TrainingEmbeddingModel(texts => model.Encode(texts, batchSize), model.Dimension, model.Source.Similarity, model.Source.Prompts,
            encodeQueries: model is Modeling.TrainableEncoder { QueryInstruction: not null } encoder
                ? texts => encoder.Encode(texts, batchSize, query: true)
                : null,
            sparse: model is Modeling.TrainableEncoder { Model.IsSparse: true });
        return truncateDim is { } n ? full.Truncated(n) : full;
    }

    /// <summary>
    /// This model with every vector its first <paramref name="dimension"/> values (sentence-transformers' <c>truncate_dim</c>,
    /// see <see cref="For"/>); a width outside 1..<see cref="Dimension"/> is one line.
    /// </summary>
    public TrainingEmbeddingModel Truncated(int dimension)
    {
        if (dimension < 1 || dimension > Dimension)
            throw new Skald.Retrieval.EvaluationException($"truncate_dim {dimension} is not in 1..{Dimension} (the model's dimension)");
        return new(this, dimension, sharedVectors, encode, encodeQueries);
    }

    /// <summary>
    /// This model encoding each text once: a text given again (with the same prompt, as a query or not) gets a copy of
    /// the vector it got first, so that one evaluation scores the same texts at several widths
    /// (<see cref="MatryoshkaEvaluator"/>) for the price of one encoding. A first call encodes its texts as they come.
    /// The one cache holds each text's vector at the width encoded; a <see cref="Truncated"/> view of this model copies
    /// out only its own first N values (no full-width copy per width), cut as <see cref="Truncated"/> cuts, not
    /// normalised again.
    /// </summary>
    public TrainingEmbeddingModel Cached() =>
        new(this, Dimension, sharedVectors: true, Remembered(encode), encodeQueries is null ? null : Remembered(encodeQueries));

    // A view of source at width dimension over these encode functions (the cache's own vectors when sharedVectors).
    private TrainingEmbeddingModel(TrainingEmbeddingModel source, int dimension, bool sharedVectors,
        Func<IReadOnlyList<string>, float[][]> encode, Func<IReadOnlyList<string>, float[][]>? encodeQueries)
        : this(encode, dimension, source.Similarity, source.prompts, source.Name, encodeQueries, source.IsSparse)
    {
        encodedDimension = source.encodedDimension;
        this.sharedVectors = sharedVectors;
        taskName = source.taskName;
        taskType = source.taskType;
    }

    // The vectors encode gave, at this view's width: copies when they are the cache's own (a scorer may normalise its
    // vectors in place) or wider; as they are otherwise.
    private float[][] AtWidth(float[][] vectors)
    {
        if (!sharedVectors && Dimension == encodedDimension) return vectors;
        var result = new float[vectors.Length][];
        for (int i = 0; i < vectors.Length; i++) result[i] = vectors[i].AsSpan(0, Dimension).ToArray();
        return result;
    }

    // encode remembering each text's vector; texts seen before get the remembered array itself (AtWidth copies it out)
    private static Func<IReadOnlyList<string>, float[][]> Remembered(Func<IReadOnlyList<string>, float[][]> encode)
    {
        var seen = new Dictionary<string, float[]>(StringComparer.Ordinal);
        return texts =>
        {
            // nothing seen: the texts encoded as they come, duplicates and all, as without the cache
            List<string> missing = texts.All(t => !seen.ContainsKey(t)) ? [.. texts] : texts.Where(t => !seen.ContainsKey(t)).Distinct(StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
            {
                var vectors = encode(missing);
                for (int i = 0; i < missing.Count; i++) seen.TryAdd(missing[i], vectors[i]);
            }
            return [.. texts.Select(t => seen[t])];
        };
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
        : this(source, source.Dimension, source.sharedVectors, source.encode, source.encodeQueries)
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
        if (role == TextRole.Query && encodeQueries is not null) return AtWidth(encodeQueries(texts));
        string? prompt = RolePrompts.For(prompts, role, taskName, taskType);
        return AtWidth(encode(prompt is null ? texts : [.. texts.Select(t => prompt + t)]));
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> SplitToFit(string text, TextRole role) => [text];
}
