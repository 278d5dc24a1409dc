using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;

namespace Skald.Models.CrossEncoders;

/// <summary>Scoring pairs (<c>Predict</c>, <c>Score</c>, <c>Rank</c>, <c>Order</c>) and the passes they run on the encoder's own tape, which does not record.</summary>
public sealed partial class CrossEncoder
{
    /// <summary>For tests: the tape the inference passes run on (its <c>LayerStarting</c> hook).</summary>
    internal Tape InferenceTape => inference;

    /// <summary>For tests: the gate this model's passes take turns at.</summary>
    internal InferenceGate Gate => gate;

    /// <summary>
    /// The model's outputs for each pair, [pairs][<see cref="NumLabels"/>], after the activation (and softmax when asked),
    /// in the order given (sentence-transformers' predict). Batches are formed longest first; a pair's scores do not
    /// depend on its batch. <paramref name="cancellationToken"/> is looked at before each batch (a forward pass of
    /// <see cref="CrossEncoderOptions.BatchSize"/> pairs) and before each layer within it: once it is cancelled the pass
    /// stops at the next layer and <see cref="OperationCanceledException"/> is thrown, as <see cref="SentenceEncoder"/>'s Encode does.
    /// </summary>
    /// <remarks>
    /// Throws <see cref="ArgumentNullException"/> for null <paramref name="pairs"/>, <see cref="ArgumentException"/>
    /// naming <paramref name="pairs"/> for a pair holding a null text, <see cref="ArgumentOutOfRangeException"/> naming
    /// <paramref name="options"/> for a <see cref="CrossEncoderOptions.BatchSize"/> or <see cref="CrossEncoderOptions.MaxLength"/>
    /// below 1, <see cref="ObjectDisposedException"/> once disposed; a cancelled token throws before anything is done.
    /// </remarks>
    public float[][] Predict(IReadOnlyList<(string Query, string Document)> pairs, CrossEncoderOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        cancellationToken.ThrowIfCancellationRequested();
        if (options is { MaxLength: < 1 })
            throw new ArgumentOutOfRangeException(nameof(options), $"MaxLength must be at least 1 token, got {options.MaxLength}");
        if (options is { BatchSize: < 1 }) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        return Predict(Tokenize(pairs, options?.MaxLength), options, cancellationToken);
    }

    /// <summary>
    /// As <see cref="Predict(IReadOnlyList{ValueTuple{string, string}}, CrossEncoderOptions?, CancellationToken)"/> over pairs already
    /// tokenized by <see cref="Tokenize"/> (a server counts their tokens first).
    /// </summary>
    public float[][] Predict(IReadOnlyList<Encoding> encodings, CrossEncoderOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encodings);
        ThrowIfDisposed();
        options ??= new CrossEncoderOptions();
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        var order = Enumerable.Range(0, encodings.Count).OrderByDescending(i => encodings[i].Ids.Length).ToArray();
        var activation = options.Activation ?? Activation;
        var result = new float[encodings.Count][];
        int batches = (order.Length + options.BatchSize - 1) / options.BatchSize, done = 0;
        batchLoop.Run(batches, options.BatchesInFlight, gate, cancellationToken, (tape, index) =>
        {
            int start = index * options.BatchSize, b = Math.Min(options.BatchSize, order.Length - start);
            var batch = new Encoding[b];
            for (int i = 0; i < b; i++) batch[i] = encodings[order[start + i]];
            using (tape.Pass(cancellationToken))
            {
                var logits = Forward(tape, TokenBatch.Pad(batch, PadId, PaddingSide)).Span; // [b, L]
                for (int i = 0; i < b; i++)
                {
                    var row = logits.Slice(i * NumLabels, NumLabels).ToArray();
                    Activate(row, activation, options.ApplySoftmax);
                    if (!row.All(float.IsFinite))
                        throw new ModelFormatException(
                            $"{Path}: the model gives a non-finite score (NaN or infinity) for pair {order[start + i] + 1}; its weights or config.json are broken");
                    result[order[start + i]] = row;
                }
            }
        }, index =>
        {
            done += Math.Min(options.BatchSize, order.Length - index * options.BatchSize);
            options.Progress?.Invoke(done, order.Length);
        });
        return result;
    }

    /// <summary>One score per pair (a one-label model: a reranker), in the order given (cancelled as Predict is).</summary>
    public float[] Score(IReadOnlyList<(string Query, string Document)> pairs, CrossEncoderOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        RequireOneLabel("Score");
        return [.. Predict(pairs, options, cancellationToken).Select(s => s[0])];
    }

    /// <summary>
    /// <paramref name="documents"/> ordered by their score against <paramref name="query"/>, highest first, equal scores
    /// in the order given (sentence-transformers' rank); the first <paramref name="topK"/> when given (cancelled as
    /// Predict is).
    /// </summary>
    public IReadOnlyList<RankedDocument> Rank(string query, IReadOnlyList<string> documents, int? topK = null, CrossEncoderOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        RequireOneLabel("Rank");
        if (topK is < 1) throw new ArgumentOutOfRangeException(nameof(topK), "topK must be at least 1");
        for (int i = 0; i < documents.Count; i++)
        {
            if (documents[i] is null) throw new ArgumentException($"document {i} is null", nameof(documents));
        }
        return Order(Score(documents.Select(d => (query, d)).ToArray(), options, cancellationToken), topK);
    }

    /// <summary>
    /// Indices of <paramref name="scores"/> highest first, equal scores in index order; the first <paramref name="topK"/>
    /// when given (<see cref="ArgumentOutOfRangeException"/> below 1, as <see cref="Rank"/>).
    /// </summary>
    public static IReadOnlyList<RankedDocument> Order(IReadOnlyList<float> scores, int? topK = null)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (topK is < 1) throw new ArgumentOutOfRangeException(nameof(topK), "topK must be at least 1");
        var ranked = scores.Select((s, i) => new RankedDocument(i, s)).OrderByDescending(r => r.Score); // stable: ties keep their order
        return [.. topK is { } k ? ranked.Take(k) : ranked];
    }

    private void RequireOneLabel(string what)
    {
        if (NumLabels != 1)
            throw new InvalidOperationException(
                $"{Path}: {what} needs a model with one output (a reranker); this one has {NumLabels} labels ({string.Join(", ", Config.Labels)}): use Predict");
    }

    /// <summary>Applies <paramref name="activation"/> to one pair's logits, then softmax over them when asked.</summary>
    public static void Activate(Span<float> logits, ScoreActivation activation, bool softmax)
    {
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] = activation switch
            {
                ScoreActivation.Sigmoid => 1f / (1f + MathF.Exp(-logits[i])),
                ScoreActivation.Tanh => MathF.Tanh(logits[i]),
                _ => logits[i],
            };
        }
        if (!softmax) return;
        float max = float.NegativeInfinity, sum = 0;
        foreach (float v in logits) max = MathF.Max(max, v);
        for (int i = 0; i < logits.Length; i++) sum += logits[i] = MathF.Exp(logits[i] - max);
        for (int i = 0; i < logits.Length; i++) logits[i] /= sum;
    }
}
