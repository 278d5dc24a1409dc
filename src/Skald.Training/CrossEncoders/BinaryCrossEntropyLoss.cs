using Skald.Models.Architectures;
using Skald.Models.CrossEncoders;
using Skald.Tensors;
using Skald.Tokenizers;
using Skald.Training.Modeling;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// sentence-transformers' cross-encoder BinaryCrossEntropyLoss
/// (https://github.com/UKPLab/sentence-transformers/blob/dfcbbd93056c6292ee6a245c0740683a270df0b1/sentence_transformers/cross_encoder/losses/BinaryCrossEntropyLoss.py):
/// (query, document) rows with a label in [0, 1]; each pair is read as one input by the transformer and the
/// classification head (the loss owns it, as masked-LM owns its head), and the loss is the mean over the batch of
/// BCE with logits, ℓ = −[w·y·log σ(z) + (1 − y)·log(1 − σ(z))] with w = pos_weight (1 unless set), whose gradient is
/// ∂ℓ/∂z = (w·y + 1 − y)·σ(z) − w·y. The model trained this way is saved as a cross-encoder folder.
/// </summary>
public sealed class BinaryCrossEntropyLoss : ICrossEncoderLoss
{
    private readonly Tape tape = new();
    private readonly float posWeight;
    private readonly int maxLength;

    /// <summary>The loss over <paramref name="model"/>, its head read from the folder or new from <paramref name="seed"/>.</summary>
    public BinaryCrossEntropyLoss(TrainableEncoder model, float posWeight = 1f, ulong seed = 42)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(posWeight > 0 && float.IsFinite(posWeight))) throw new ArgumentOutOfRangeException(nameof(posWeight), "pos_weight must be a positive number");
        (Head, Settings) = ClassifierHeads.For(model, seed);
        this.posWeight = posWeight;
        maxLength = Math.Min(model.Model.MaxSeqLength, model.Model.Transformer.MaxSequenceLength);
        model.Classifier = this;
    }

    /// <summary>The classification head trained with the model.</summary>
    public SequenceClassificationHead Head { get; }

    /// <summary>The source folder's cross-encoder settings (its activation is what the saved folder names).</summary>
    public CrossEncoderConfig Settings { get; }

    /// <summary>The activation a saved model applies to its logits (Sigmoid: scores in (0, 1)).</summary>
    public ScoreActivation Activation => ScoreActivation.Sigmoid;

    /// <inheritdoc />
    public string Name => "bce";

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters => Head.Parameters;

    /// <summary>The pairs as the model reads them: one input each, cut longest first to the model's length.</summary>
    public IReadOnlyList<Encoding> Tokenize(TrainableEncoder model, IReadOnlyList<string> queries, IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Tokenizer.EncodePairBatch([.. queries.Zip(documents)], new TruncationOptions(maxLength));
    }

    /// <summary>Logits [B] of pairs on the loss's tape, without dropout or recording (evaluation).</summary>
    public float[] Logits(TrainableEncoder model, IReadOnlyList<string> queries, IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tokens = TokenBatch.Pad(Tokenize(model, queries, documents), model.PadId);
        model.Configure(tape, record: false, dropout: false);
        try
        {
            return Forward(model, tokens).Span.ToArray();
        }
        finally
        {
            tape.Reset();
        }
    }

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var encoder = Losses.EmbeddingLoss.AsEncoder(model);
        if (batch.Columns.Count != 2 || batch.Labels is null)
            throw new ArgumentException("loss.type bce needs (query, document) rows with a label", nameof(batch));
        var tokens = TokenBatch.Pad(Tokenize(encoder, batch.Columns[0], batch.Columns[1]), encoder.PadId);
        encoder.Configure(tape, record: true, dropout: true);
        try
        {
            var z = Forward(encoder, tokens); // [B, 1]
            int n = batch.Count;
            var grad = new float[n];
            double loss = 0;
            for (int i = 0; i < n; i++)
            {
                double x = z.Span[i], y = batch.Labels[i];
                // −[w·y·log σ(x) + (1 − y)·log(1 − σ(x))] = w·y·softplus(−x) + (1 − y)·softplus(x)
                loss += posWeight * y * Softplus(-x) + (1 - y) * Softplus(x);
                double sigma = 1 / (1 + Math.Exp(-x));
                grad[i] = (float)(((posWeight * y + 1 - y) * sigma - posWeight * y) * gradientScale / n);
            }
            tape.Seed(z, grad);
            tape.Backward();
            return (float)(loss / n);
        }
        finally
        {
            tape.Reset();
        }
    }

    private Skald.Tensors.Autograd.Variable Forward(TrainableEncoder model, TokenBatch tokens) =>
        Head.Forward(tape, model.Model.Transformer.Forward(tape, tokens), tokens);

    private static double Softplus(double x) => x > 0 ? x + double.LogP1(Math.Exp(-x)) : double.LogP1(Math.Exp(x));
}
