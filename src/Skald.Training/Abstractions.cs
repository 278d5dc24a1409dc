using Skald.Models.Pipeline;
using Skald.Tensors;

namespace Skald.Training;

/// <summary>
/// A trainable tensor: its values, its gradient (same length, accumulated by backward passes) and the key it has in
/// the saved checkpoint. Keys of the transformer are the HF keys without prefix
/// (<c>encoder.layer.0.attention.self.query.weight</c>); keys of later modules are prefixed with the module folder
/// (<c>2_Dense/linear.weight</c>).
/// </summary>
public sealed class Parameter
{
    /// <summary>Creates a parameter over <paramref name="data"/> (not copied) with a zeroed gradient.</summary>
    public Parameter(string name, float[] data, int[] shape, bool weightDecay)
    {
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (count != data.Length) throw new ArgumentException($"{name}: shape holds {count} values, data has {data.Length}");
        Name = name;
        Data = data;
        Shape = shape;
        WeightDecay = weightDecay;
        Grad = new float[data.Length];
    }

    /// <summary>Checkpoint key.</summary>
    public string Name { get; }

    /// <summary>Values (row-major).</summary>
    public float[] Data { get; }

    /// <summary>Accumulated gradient.</summary>
    public float[] Grad { get; }

    /// <summary>Dimensions.</summary>
    public int[] Shape { get; }

    /// <summary>Whether AdamW applies weight decay (false for biases and LayerNorm weights, as HF Trainer).</summary>
    public bool WeightDecay { get; }
}

/// <summary>
/// One training batch as sentence-transformers sees it: input columns by position (anchor, positive, negatives...),
/// each with the same number of rows, and an optional label per row (a score for CoSENT).
/// </summary>
public sealed record TrainingBatch(IReadOnlyList<IReadOnlyList<string>> Columns, IReadOnlyList<float>? Labels = null)
{
    /// <summary>Rows in the batch.</summary>
    public int Count => Columns.Count == 0 ? 0 : Columns[0].Count;
}

/// <summary>An embedding model whose parameters can be trained (the transformer and the modules after it).</summary>
public interface ITrainableModel
{
    /// <summary>The folder it was loaded from (tokenizer, configs, pipeline description).</summary>
    ModelFolder Source { get; }

    /// <summary>All trainable parameters, in a stable order.</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Embedding width.</summary>
    int Dimension { get; }

    /// <summary>Dropout probability for hidden states and attention probabilities in training passes (0 = off).</summary>
    float Dropout { get; set; }

    /// <summary>The dropout random generator (its state is saved in checkpoints for exact resume).</summary>
    SkaldRandom Random { get; }

    /// <summary>Inference embeddings with the current weights: no dropout, no gradients, input order kept.</summary>
    float[][] Encode(IReadOnlyList<string> texts, int batchSize = 32);

    /// <summary>Sets every parameter gradient to zero.</summary>
    void ZeroGradients();
}

/// <summary>
/// A training objective (sentence-transformers' loss shape): runs the forward pass(es) over a batch, accumulates
/// parameter gradients (multiplied by <c>gradientScale</c>, e.g. 1/accumulation steps) and returns the loss value.
/// </summary>
public interface ILoss
{
    /// <summary>Name as in the config (<c>mnrl</c>, <c>cosent</c>, ...).</summary>
    string Name { get; }

    /// <summary>Forward + backward over one batch; returns the (unscaled) loss.</summary>
    float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f);
}
