using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Models;

namespace Skald.Training.Modeling;

/// <summary>
/// One training-mode pass of a <see cref="TrainableEncoder"/> (from <see cref="TrainableEncoder.BeginPass"/>):
/// any number of <see cref="Forward(IReadOnlyList{string})"/> calls (dropout on when the model's Dropout &gt; 0),
/// then, when recording, one <see cref="Backward"/> with d(loss)/d(embeddings) per forward, which accumulates
/// the parameter gradients. A pass that does not record frees its activations after every forward (GradCache's
/// first pass, inference). Dispose releases the activation memory.
/// </summary>
public sealed class EncoderPass : IDisposable
{
    private readonly TrainableEncoder model;
    private readonly Tape tape;
    private readonly List<Variable> outputs = [];
    private bool disposed;

    internal EncoderPass(TrainableEncoder model, Tape tape)
    {
        this.model = model;
        this.tape = tape;
    }

    /// <summary>Whether forwards are recorded for <see cref="Backward"/>.</summary>
    public bool Recording => tape.Recording;

    /// <summary>Number of recorded forwards.</summary>
    public int ForwardCount => outputs.Count;

    /// <summary>Embeds texts (tokenized as sentence-transformers does); returns a copy of the embeddings.</summary>
    public EmbeddingBatch Forward(IReadOnlyList<string> texts) => Forward(model.Prepare(texts));

    /// <summary>Embeds prepared texts (<see cref="TrainableEncoder.Prepare(IReadOnlyList{string}, bool, string?)"/>, one padded batch); returns a copy of the embeddings.</summary>
    public EmbeddingBatch Forward(ModelInputs inputs)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (inputs.Count == 0) throw new ArgumentException("no texts to embed", nameof(inputs));
        var y = model.Model.Forward(tape, inputs);
        var result = new EmbeddingBatch(y.Span.ToArray(), y.Rows, y.Cols);
        if (tape.Recording) outputs.Add(y);
        else tape.Reset();
        return result;
    }

    /// <summary>
    /// A late-interaction model's token vectors over <paramref name="tokens"/> (<see cref="Skald.Models.SentenceEncoder.ForwardTokens"/>),
    /// each row L2-normalised as PyLate's losses normalise them: a copy [B·T, dim], masked rows included (the loss
    /// picks the kept ones and gives the others zero gradient). Recorded like <see cref="Forward(ModelInputs)"/>.
    /// </summary>
    public EmbeddingBatch ForwardTokens(TokenBatch tokens)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(tokens);
        var y = Ops.Normalize(tape, model.Model.ForwardTokens(tape, tokens));
        var result = new EmbeddingBatch(y.Span.ToArray(), y.Rows, y.Cols);
        if (tape.Recording) outputs.Add(y);
        else tape.Reset();
        return result;
    }

    /// <summary>
    /// Embeds prepared texts and hands back the transformer's token states beside the embeddings
    /// (<see cref="Skald.Models.SentenceEncoder.ForwardStates"/>): the embeddings are the next forward output (seeded by
    /// <see cref="Backward"/>); a loss runs heads of its own over <c>Hidden</c> on <see cref="Tape"/> and seeds their
    /// outputs (<see cref="Seed"/>) before the backward. On a pass that does not record (GradCache's first pass) nothing
    /// is kept for a backward and the states live until the caller resets <see cref="Tape"/>, which it must before the
    /// next forward.
    /// </summary>
    public (EmbeddingBatch Embeddings, TokenBatch Tokens, Variable Hidden) ForwardStates(ModelInputs inputs)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (inputs.Count == 0) throw new ArgumentException("no texts to embed", nameof(inputs));
        var (tokens, hidden, y) = model.Model.ForwardStates(tape, inputs);
        if (tape.Recording) outputs.Add(y);
        return (new EmbeddingBatch(y.Span.ToArray(), y.Rows, y.Cols), tokens, hidden);
    }

    /// <summary>The pass's tape, for the ops a loss runs on what <see cref="ForwardStates"/> returns.</summary>
    internal Tape Tape => tape;

    /// <summary>
    /// Embeds prepared texts from the last layer and from each of <paramref name="layers"/> (0-based prior layers,
    /// <see cref="Skald.Models.SentenceEncoder.ForwardLayers"/>) in one transformer pass; returns copies. Recording
    /// passes only: the final embeddings are the next forward output (seeded by <see cref="Backward"/>), then each
    /// layer's in the order given.
    /// </summary>
    public (EmbeddingBatch Final, EmbeddingBatch[] Layers) ForwardLayers(ModelInputs inputs, IReadOnlyList<int> layers)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!tape.Recording) throw new InvalidOperationException("per-layer embeddings are for training: begin the pass with record: true");
        if (inputs.Count == 0) throw new ArgumentException("no texts to embed", nameof(inputs));
        var (final, states) = model.Model.ForwardLayers(tape, inputs, layers);
        outputs.Add(final);
        outputs.AddRange(states);
        static EmbeddingBatch Copy(Variable y) => new(y.Span.ToArray(), y.Rows, y.Cols);
        return (Copy(final), [.. states.Select(Copy)]);
    }

    /// <summary>
    /// A CSR model's training forward (<see cref="Skald.Models.SentenceEncoder.ForwardAutoEncoder"/>): the sparse code is
    /// this pass's embedding output (seeded by <see cref="Backward"/>); the dense input and the reconstructions are
    /// returned for the loss to seed (<see cref="Seed"/>). Recording passes only. Under data parallelism the
    /// autoencoder's dead-latent statistics count every rank's rows (<see cref="TrainableEncoder.StatsAcrossRanks"/>).
    /// </summary>
    public Skald.Models.Modules.AutoEncoderPass ForwardAutoEncoder(ModelInputs inputs)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!tape.Recording) throw new InvalidOperationException("an autoencoder's training forward needs a recording pass");
        if (inputs.Count == 0) throw new ArgumentException("no texts to embed", nameof(inputs));
        var result = model.Model.ForwardAutoEncoder(tape, inputs, model.StatsAcrossRanks);
        outputs.Add(result.Latents);
        return result;
    }

    /// <summary>
    /// A CSR model's dense chain without the autoencoder (<see cref="Skald.Models.SentenceEncoder.ForwardBackbone"/>);
    /// returns a copy, recorded like <see cref="Forward(ModelInputs)"/>.
    /// </summary>
    public EmbeddingBatch ForwardBackbone(ModelInputs inputs)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (inputs.Count == 0) throw new ArgumentException("no texts to embed", nameof(inputs));
        var y = model.Model.ForwardBackbone(tape, inputs);
        var result = new EmbeddingBatch(y.Span.ToArray(), y.Rows, y.Cols);
        if (tape.Recording) outputs.Add(y);
        else tape.Reset();
        return result;
    }

    /// <summary>Adds <paramref name="gradient"/> · <paramref name="scale"/> to the gradient of a variable of this pass (before <see cref="Backward"/>).</summary>
    public void Seed(Variable v, ReadOnlySpan<float> gradient, float scale = 1f)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(v);
        tape.Seed(v, gradient, scale);
    }

    /// <summary>
    /// Backpropagates <paramref name="gradients"/>[i] · <paramref name="scale"/> into the i-th forward's embeddings and
    /// accumulates every parameter gradient. Ends the pass's recording.
    /// </summary>
    public void Backward(IReadOnlyList<EmbeddingBatch> gradients, float scale = 1f)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!tape.Recording) throw new InvalidOperationException("this pass does not record; begin it with record: true");
        if (gradients.Count != outputs.Count)
            throw new ArgumentException($"{gradients.Count} gradients for {outputs.Count} forwards", nameof(gradients));
        for (int i = 0; i < outputs.Count; i++)
        {
            if (gradients[i].Data.Length != outputs[i].Length)
                throw new ArgumentException($"gradient {i} is [{gradients[i].Rows}, {gradients[i].Dim}], the embeddings [{outputs[i].Rows}, {outputs[i].Cols}]");
            tape.Seed(outputs[i], gradients[i].Data, scale);
        }
        tape.Backward();
        outputs.Clear();
        tape.Reset();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        outputs.Clear();
        tape.Reset();
        model.EndPass();
    }
}
