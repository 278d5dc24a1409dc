using Skald.Training.Data;
using Skald.Training.Modeling;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// The frame of sentence-transformers' learning-to-rank cross-encoder losses (ListNet, ListMLE / PListMLE, LambdaLoss /
/// RankNet): each row is a query with a list of documents and their relevance labels, <c>(query, [d_0 … d_W−1],
/// [y_0 … y_W−1])</c> (<see cref="TextLists"/>: lists of different lengths are padded, a padded document's label NaN),
/// or (query, positive, negative...) columns with W labels, or without labels (the first document relevant, 1, the
/// others not, 0). Every present (query, document) pair is one input of the model; its logit z goes through the
/// activation (<c>loss.activation</c>: Identity, or Sigmoid) to a score x, and the loss is a function of each row's scores
/// and labels, the mean over the units it counts (lists, or document pairs for LambdaLoss). Under mpirun each rank
/// reads its shard of the rows and divides by the global count of units, so the summed gradients are one process's.
/// </summary>
public abstract class ListwiseLoss : CrossEncoderLoss
{
    private readonly bool sigmoid;

    /// <summary>The loss over <paramref name="model"/>, its one-label head read from the folder or new from <paramref name="seed"/>.</summary>
    protected ListwiseLoss(TrainableEncoder model, bool sigmoid, ulong seed) : base(model, seed)
    {
        if (Head.NumLabels != 1)
            throw new ArgumentException($"loss.type {GetType().Name} ranks with one score per pair; the model's classifier has {Head.NumLabels} labels");
        this.sigmoid = sigmoid;
    }

    /// <inheritdoc />
    public override bool SpansRanks => true;

    /// <summary>
    /// The sum over <paramref name="rows"/> lists of <paramref name="width"/> scores <paramref name="x"/> (row-major,
    /// NaN where a document is absent) with labels <paramref name="y"/> of the loss's terms, ∂sum/∂x into
    /// <paramref name="grad"/> (zeroed by the caller) and, in <paramref name="count"/>, the number of terms the loss
    /// is the mean over.
    /// </summary>
    protected abstract double Sum(ReadOnlySpan<double> x, ReadOnlySpan<float> y, int rows, int width, Span<double> grad, out int count);

    /// <inheritdoc />
    public override float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Columns.Count < 2)
            throw new ArgumentException($"loss.type {Name} needs (query, documents) rows", nameof(batch));
        int b = batch.Count, w = batch.Columns.Count - 1;
        var labels = batch.Labels ?? [.. Enumerable.Range(0, b * w).Select(i => i % w == 0 ? 1f : 0f)];
        if (labels.Count != b * w)
            throw new ArgumentException($"loss.type {Name} needs one label per document, {w} per row; got {labels.Count} for {b} rows", nameof(batch));
        var y = labels as float[] ?? [.. labels];
        var queries = new List<string>();
        var documents = new List<string>();
        var slots = new List<int>(); // pair p is the document at slot r·w + j
        for (int r = 0; r < b; r++)
            for (int j = 0; j < w; j++)
            {
                if (TextLists.IsPadding(y[r * w + j])) continue;
                queries.Add(batch.Columns[0][r]);
                documents.Add(batch.Columns[1 + j][r]);
                slots.Add(r * w + j);
            }
        var encoder = Losses.EmbeddingLoss.AsEncoder(model);
        var comm = encoder.Communicator;
        if (slots.Count == 0)
        {
            GlobalCount(comm, 0); // the ranks exchange counts in step
            return SumAcrossRanks(comm, 0f);
        }
        float local = Train(encoder, queries, documents, (z, grad) =>
        {
            var x = new double[b * w];
            Array.Fill(x, double.NaN);
            for (int p = 0; p < slots.Count; p++) x[slots[p]] = sigmoid ? Sigmoid(z[p]) : z[p];
            var g = new double[b * w];
            double sum = Sum(x, y, b, w, g, out int count);
            int total = GlobalCount(comm, count);
            if (total == 0) return 0f; // nothing to rank (every label equal): no gradient
            for (int p = 0; p < slots.Count; p++)
            {
                double dx = g[slots[p]], chain = sigmoid ? x[slots[p]] * (1 - x[slots[p]]) : 1;
                grad[p] = (float)(dx * chain * gradientScale / total);
            }
            return (float)(sum / total);
        });
        return SumAcrossRanks(comm, local);
    }

    /// <summary>Indices of row <paramref name="r"/>'s present documents, in input order.</summary>
    protected static int[] Present(ReadOnlySpan<double> x, int r, int width)
    {
        var present = new List<int>(width);
        for (int j = 0; j < width; j++)
            if (!double.IsNaN(x[r * width + j])) present.Add(j);
        return [.. present];
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
}
