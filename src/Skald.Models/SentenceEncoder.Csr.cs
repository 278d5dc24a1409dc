using Skald.Models.Architectures;
using Skald.Models.Modules;
using Skald.Tensors.Autograd;

namespace Skald.Models;

/// <summary>A CSR sparse encoder: sentence-transformers' SparseEncoder over a dense chain, Transformer → Pooling → Dense* → Normalize? → SparseAutoEncoder.</summary>
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// A CSR sparse encoder's SparseAutoEncoder (sentence-transformers' SparseEncoder over a dense chain): the dense
    /// embedding becomes <see cref="SparseAutoEncoderConfig.HiddenDim"/> latents of which k are kept; null otherwise.
    /// </summary>
    public SparseAutoEncoder? AutoEncoder { get; }

    /// <summary>
    /// This dense model as a CSR sparse encoder to train (sentence-transformers' SparseEncoder over a SentenceTransformer
    /// folder): a new SparseAutoEncoder after its chain (<paramref name="config"/>: input_dim the embedding width;
    /// encoder uniform in ±1/√D from <paramref name="seed"/>), similarity dot unless the folder names one. The
    /// transformer is shared with this instance.
    /// </summary>
    public SentenceEncoder AsCsr(SparseAutoEncoderConfig config, ulong seed = 42)
    {
        ArgumentNullException.ThrowIfNull(config);
        ThrowIfDisposed();
        if (IsSparse || Folder.IsStatic || Folder.Llm2Vec is not null || queryDense.Length > 0 || Folder.DefaultRoute is not null)
            throw new ModelFormatException($"{Folder.Path}: a CSR model is a dense sentence-transformers chain (Transformer → Pooling → Dense* → Normalize?) with a SparseAutoEncoder after it");
        if (config.InputDim != Dimension)
            throw new ModelFormatException($"{Folder.Path}: the SparseAutoEncoder's input_dim {config.InputDim} differs from the embedding's {Dimension}");
        string module = $"{2 + dense.Length + (Folder.Normalize ? 1 : 0)}_SparseAutoEncoder";
        var autoEncoder = SparseAutoEncoder.Create(module, config, seed);
        var folder = Folder with
        {
            AutoEncoderPath = Path.Combine(Folder.Path, module), IsSentenceTransformers = true,
            Similarity = File.Exists(Path.Combine(Folder.Path, "config_sentence_transformers.json")) ? Folder.Similarity : SimilarityFunction.Dot,
        };
        return ShareLifetime(Create(folder, Tokenizer, Transformer, newAutoEncoder: autoEncoder));
    }

    /// <summary>
    /// A training forward of a CSR model (<see cref="AutoEncoder"/>) on a recording <paramref name="tape"/>: the dense
    /// chain, then <see cref="SparseAutoEncoder.Train"/> (its statistics advance, summed over the data-parallel ranks by
    /// <paramref name="sumAcrossRanks"/> when given).
    /// </summary>
    public AutoEncoderPass ForwardAutoEncoder(Tape tape, ModelInputs inputs, Action<Span<float>>? sumAcrossRanks = null)
    {
        var autoEncoder = AutoEncoder ?? throw new ModelFormatException($"{Folder.Path}: not a CSR model (no SparseAutoEncoder module)");
        return autoEncoder.Train(tape, ForwardBackbone(tape, inputs), sumAcrossRanks);
    }

    /// <summary>
    /// A CSR model's dense chain without its <see cref="AutoEncoder"/> on <paramref name="tape"/>: the embeddings
    /// [B, D] the autoencoder reads (GradCache runs the chain in chunks and the autoencoder over the whole batch).
    /// </summary>
    public Variable ForwardBackbone(Tape tape, ModelInputs inputs)
    {
        ThrowIfDisposed();
        if (AutoEncoder is null) throw new ModelFormatException($"{Folder.Path}: not a CSR model (no SparseAutoEncoder module)");
        var tokens = TokenBatch.Pad(inputs.Encodings, PadId, PaddingSide);
        var hidden = TransformerForward(tape, tokens); // [B·T, C]
        var y = Modules.Pooling.Forward(tape, hidden, tokens.Mask, tokens.Batch, tokens.Seq, Pooling, inputs.PromptLength); // [B, k·C]
        foreach (var d in dense) y = d.Forward(tape, y);
        return Folder.Normalize ? Ops.Normalize(tape, y) : y;
    }

    /// <summary>
    /// Training passes leave the transformer out of the recording: it gets no gradient and keeps no activations for a
    /// backward pass, while the modules after it (Dense, a CSR model's SparseAutoEncoder) train on its outputs
    /// (<c>model.freeze_transformer</c>; sentence-transformers' <c>model[0].requires_grad_(False)</c>).
    /// </summary>
    public bool TransformerFrozen { get; set; }

    /// <summary>The transformer over <paramref name="tokens"/>, unrecorded when <see cref="TransformerFrozen"/>.</summary>
    private Variable TransformerForward(Tape tape, TokenBatch tokens)
    {
        ThrowIfDisposed(); // again under the lock: a pass that waited on it while Dispose held it must not run on closed files
        if (!TransformerFrozen || !tape.Recording) return Transformer.Forward(tape, tokens);
        tape.Recording = false;
        try
        {
            return Transformer.Forward(tape, tokens); // made while not recording: needs no gradient
        }
        finally
        {
            tape.Recording = true;
        }
    }
}
