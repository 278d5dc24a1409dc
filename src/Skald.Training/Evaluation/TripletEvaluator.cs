using Skald.Models.Modules;
using Skald.Retrieval.Data;
using Skald.Retrieval.Scoring;
using Skald.Training.Data;

namespace Skald.Training.Evaluation;

/// <summary>
/// sentence-transformers' TripletEvaluator: the share of (anchor, positive, negative) rows where the anchor is more
/// similar to the positive than to the negative under the model's similarity function, computed by the shared
/// <see cref="TripletScorer"/> (the number <c>skald evaluate</c> reports as <c>accuracy</c>); for a ColBERT, PyLate's
/// ColBERTTripletEvaluator: the anchor as a query, MaxSim against each document (<see cref="TrainingColbertEncoder"/>).
/// Key: <c>eval_NAME_accuracy</c> for a cosine model (and a ColBERT); for a dot, Euclidean or Manhattan model
/// (<paramref name="similarity"/>) <c>eval_NAME_{fn}_accuracy</c>, as upstream's <c>{fn}_accuracy</c> (<see cref="SimilarityKeys"/>).
/// A sparse encoder adds SparseTripletEvaluator's <c>eval_NAME_anchor_active_dims</c>, <c>_anchor_sparsity_ratio</c> and
/// the same of the positives and negatives (<see cref="SparsityMetrics"/>).
/// </summary>
public sealed class TripletEvaluator(IReadOnlyList<string[]> triplets, string name = "triplet", SimilarityFunction similarity = SimilarityFunction.Cosine) : IEmbeddingEvaluator
{
    private readonly Triplet[] triplets = [.. triplets.Select(t => new Triplet(t[0], t[1], t[2]))];
    private readonly string key = $"eval_{name}_{SimilarityKeys.Prefix(similarity)}accuracy";

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>The (anchor, positive, negative) rows it scores.</summary>
    public IReadOnlyList<Triplet> Triplets => triplets;

    /// <inheritdoc />
    public string? Task => "Triplet";

    /// <inheritdoc />
    public IReadOnlyList<string> MetricNames => [key];

    /// <summary>Builds one from a dataset with at least three input columns.</summary>
    public static TripletEvaluator FromDataset(TextDataset d, string name = "triplet", SimilarityFunction similarity = SimilarityFunction.Cosine) =>
        new(d.Rows.Select(r => new[] { r[0], r[1], r[2] }).ToArray(), name, similarity);

    /// <summary>
    /// For a ColBERT: <paramref name="d"/>'s (anchor, positive, negative) columns taken by name, as PyLate's
    /// ColBERTTripletEvaluator is given its <c>anchors</c>, <c>positives</c> and <c>negatives</c> (its training script
    /// passes the columns <c>query</c>, <c>positive</c>, <c>negative</c>): the anchor is the first column (<paramref name="d"/>
    /// comes without its id columns, as the collator leaves them out), then the columns named <c>positive</c> and
    /// <c>negative</c>, in that order (so in-set retrieval pairs the anchor with its positive too); one line naming the file
    /// and its columns when either is missing.
    /// </summary>
    public static TextDataset ByName(TextDataset d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var columns = d.Columns.ToList();
        string Find(string column) => columns.IndexOf(column) > 0 ? column
            : throw new Config.TrainingException($"{d.Name}: a ColBERT's triplet evaluation (PyLate's ColBERTTripletEvaluator) takes the anchor from the first column " +
                $"and the documents from the columns 'positive' and 'negative'; there is no '{column}' after the first (the columns are {string.Join(", ", columns)})");
        return d.SelectColumns([columns[0], Find("positive"), Find("negative")]);
    }

    /// <inheritdoc />
    /// <remarks><c>eval_NAME_anchor_active_dims</c>, <c>_anchor_sparsity_ratio</c>, then the positives' and the negatives'.</remarks>
    public IReadOnlyList<string> SparsityMetricNames => [.. new[] { "anchor_", "positive_", "negative_" }.SelectMany(role =>
        new[] { SparsityMetrics.ActiveDims, SparsityMetrics.SparsityRatio }.Select(m => $"eval_{Name}_{role}{m}"))];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        if (model is Modeling.TrainableEncoder { Model.LateInteraction: not null } colbert)
            return new Dictionary<string, double> { [key] = TripletScorer.Accuracy(new TrainingColbertEncoder(colbert), triplets, batchSize) };
        return Evaluate(TrainingEmbeddingModel.For(model, batchSize));
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Evaluate(TrainingEmbeddingModel embeddings)
    {
        var scores = TripletScorer.Score(embeddings, triplets);
        var result = new Dictionary<string, double> { [key] = scores["accuracy"] };
        // a sparse encoder's, named as upstream's SparseTripletEvaluator names them (no similarity function)
        foreach (var (metric, value) in scores) if (SparsityMetrics.IsSparsityKey(metric)) result[$"eval_{Name}_{metric}"] = value;
        return result;
    }

    /// <summary>The accuracy in [0, 1] (NaN without triplets).</summary>
    public double Accuracy(ITrainableModel model, int batchSize) => Evaluate(model, batchSize)[key];
}
