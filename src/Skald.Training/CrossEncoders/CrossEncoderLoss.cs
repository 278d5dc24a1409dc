using Skald.Models.Architectures;
using Skald.Models.CrossEncoders;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// A loss that trains the model as a cross-encoder. It owns the classification head (read from the source folder, or
/// new: <see cref="ClassifierHeads"/>), as masked-LM owns its head; the model is then saved as a cross-encoder folder
/// (<see cref="TrainableEncoder.Classifier"/>) and evaluated by scoring pairs (<see cref="CrossEncoderEvaluator"/>).
/// Each (query, document) pair is one input of the transformer, cut longest first to the model's length; the pass is
/// the architecture's one definition followed by the head, recorded on the loss's tape.
/// </summary>
public abstract class CrossEncoderLoss : ILoss
{
    private readonly Tape tape = new();
    private readonly int maxLength;

    /// <summary>
    /// Builds the head over <paramref name="model"/> (new values drawn from <paramref name="seed"/>) with
    /// <paramref name="numLabels"/> outputs (null: the folder's classifier's) and attaches the loss to it.
    /// </summary>
    protected CrossEncoderLoss(TrainableEncoder model, ulong seed, int? numLabels = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        (Head, Settings) = ClassifierHeads.For(model, seed, numLabels);
        maxLength = Math.Min(model.Model.MaxSeqLength, model.Model.Transformer.MaxSequenceLength);
        model.Classifier = this;
    }

    /// <summary>The classification head trained with the model.</summary>
    public SequenceClassificationHead Head { get; }

    /// <summary>The source folder's cross-encoder settings.</summary>
    public CrossEncoderConfig Settings { get; }

    /// <summary>
    /// The activation the saved model applies to its logits, sentence-transformers' default: Sigmoid for one label
    /// (scores in (0, 1)), Identity for more (logits; <c>Predict</c> can apply a softmax).
    /// </summary>
    public virtual ScoreActivation Activation => Head.NumLabels == 1 ? ScoreActivation.Sigmoid : ScoreActivation.Identity;

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters => Head.Parameters;

    /// <inheritdoc />
    public virtual bool SpansRanks => false;

    /// <inheritdoc />
    public virtual bool TakesGlobalBatch => false;

    /// <inheritdoc />
    public abstract float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f);

    /// <summary>The pairs as the model reads them.</summary>
    public IReadOnlyList<Encoding> Tokenize(TrainableEncoder model, IReadOnlyList<string> queries, IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Tokenizer.EncodePairBatch([.. queries.Zip(documents)], new TruncationOptions(maxLength));
    }

    /// <summary>Logits [B·L] of pairs (row-major, L = the head's labels) with the current weights, without dropout or recording (evaluation).</summary>
    public float[] Logits(TrainableEncoder model, IReadOnlyList<string> queries, IReadOnlyList<string> documents)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Configure(tape, record: false, dropout: false);
        try
        {
            return Forward(model, queries, documents).Span.ToArray();
        }
        finally
        {
            tape.Reset();
        }
    }

    /// <summary>
    /// One-label logits of <paramref name="pairs"/>, in their order, with the current weights (<see cref="Logits"/>),
    /// <paramref name="batchSize"/> pairs at a time, longest first as inference batches them: little padding.
    /// </summary>
    public float[] Scores(TrainableEncoder model, IReadOnlyList<(string Query, string Document)> pairs, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var scores = new float[pairs.Count];
        var order = Enumerable.Range(0, pairs.Count).OrderByDescending(i => pairs[i].Query.Length + pairs[i].Document.Length).ToArray();
        for (int s = 0; s < order.Length; s += batchSize)
        {
            var part = order.AsSpan(s, Math.Min(batchSize, order.Length - s)).ToArray();
            var logits = Logits(model, [.. part.Select(i => pairs[i].Query)], [.. part.Select(i => pairs[i].Document)]);
            for (int j = 0; j < part.Length; j++) scores[part[j]] = logits[j];
        }
        return scores;
    }

    /// <summary>
    /// Pairs per mini-batch under GradCache (<c>loss.cached: true</c>, <c>loss.mini_batch_size</c>; sentence-transformers'
    /// cross-encoder CachedMultipleNegativesRankingLoss), or null: every pair of the batch in one recorded pass.
    /// </summary>
    public int? MiniBatchSize
    {
        get => miniBatchSize;
        set => miniBatchSize = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "mini_batch_size must be 1 or more");
    }

    private int? miniBatchSize;

    /// <summary>
    /// One training pass: logits z [B·L] of the pairs (row-major), then <paramref name="lossAndGradient"/> fills ∂L/∂z (scaled
    /// as it likes) and returns L; the gradient flows back through the head and the transformer. With
    /// <see cref="MiniBatchSize"/> it is GradCache: every mini-batch's logits without recording, the loss and ∂L/∂z over the
    /// whole batch, then each mini-batch again with recording, seeded with its slice of ∂L/∂z, on the one schedule of
    /// <see cref="GradCache"/> (the generator's state of each mini-batch's first pass restored for its second, so
    /// dropout draws the same masks: upstream's RandContext). Activation memory is one mini-batch's.
    /// </summary>
    protected float Train(TrainableEncoder model, IReadOnlyList<string> queries, IReadOnlyList<string> documents,
        Func<ReadOnlySpan<float>, float[], float> lossAndGradient)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(lossAndGradient);
        if (MiniBatchSize is int size) return TrainCached(model, queries, documents, lossAndGradient, size);
        model.Configure(tape, record: true, dropout: true);
        try
        {
            var z = Forward(model, queries, documents); // [B, L]
            var grad = new float[z.Length];
            float loss = lossAndGradient(z.Span, grad);
            tape.Seed(z, grad);
            tape.Backward();
            return loss;
        }
        finally
        {
            tape.Reset();
        }
    }

    private float TrainCached(TrainableEncoder model, IReadOnlyList<string> queries, IReadOnlyList<string> documents,
        Func<ReadOnlySpan<float>, float[], float> lossAndGradient, int size)
    {
        int width = Head.NumLabels;
        var cache = new GradCache(model.Random, columns: 1, queries.Count, size);
        var z = new float[queries.Count * width];
        try
        {
            cache.Embed((_, m) =>
            {
                var (start, count) = cache.Chunk(m);
                model.Configure(tape, record: false, dropout: true);
                Forward(model, Range(queries, start, count), Range(documents, start, count)).Span.CopyTo(z.AsSpan(start * width));
                tape.Reset();
            });
            var grad = new float[z.Length];
            float loss = lossAndGradient(z, grad);
            cache.Replay((_, m) =>
            {
                var (start, count) = cache.Chunk(m);
                model.Configure(tape, record: true, dropout: true);
                var part = Forward(model, Range(queries, start, count), Range(documents, start, count));
                tape.Seed(part, grad.AsSpan(start * width, count * width).ToArray());
                tape.Backward();
                tape.Reset();
            });
            return loss;
        }
        finally
        {
            tape.Reset();
        }
    }

    private static string[] Range(IReadOnlyList<string> texts, int start, int count) => [.. texts.Skip(start).Take(count)];

    /// <summary>The rows of the whole batch across the ranks, of which this rank holds <paramref name="local"/> (all of them in one process).</summary>
    protected static int GlobalCount(Skald.Distributed.ICommunicator comm, int local)
    {
        ArgumentNullException.ThrowIfNull(comm);
        if (comm.Size == 1) return local;
        var counts = new int[comm.Size];
        comm.AllGather(local, counts);
        return counts.Sum();
    }

    /// <summary>The sum over the ranks of each rank's share of the loss (already divided by the global count).</summary>
    protected static float SumAcrossRanks(Skald.Distributed.ICommunicator comm, float local)
    {
        ArgumentNullException.ThrowIfNull(comm);
        if (comm.Size == 1) return local;
        var parts = new float[comm.Size];
        comm.AllGather([local], parts, [.. Enumerable.Repeat(1, comm.Size)]);
        return parts.Sum();
    }

    private Variable Forward(TrainableEncoder model, IReadOnlyList<string> queries, IReadOnlyList<string> documents)
    {
        var tokens = TokenBatch.Pad(Tokenize(model, queries, documents), model.PadId);
        return Head.Forward(tape, model.Model.Transformer.Forward(tape, tokens), tokens);
    }
}
