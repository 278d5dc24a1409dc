using Skald.Models;
using Skald.Models.Modules;
using Skald.Tensors.Autograd;
using Skald.Training.Config;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' CSRLoss for CSR sparse encoders (a dense chain + SparseAutoEncoder): the autoencoder's
/// reconstruction terms plus γ · an embedding loss over the sparse codes
/// (https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/losses/CSRLoss.py):
/// <code>
/// loss = mean_columns(L_k) + mean_columns(L_4k)/8 + β · mean_columns(L_aux) + γ · inner(z_k columns)
/// </code>
/// (<see cref="CsrReconstruction"/>). Every column runs the autoencoder's training forward in order, which advances its
/// dead-latent statistics as sentence-transformers does. The inner loss defaults to SparseMultipleNegativesRankingLoss
/// (MNRL, dot product, scale 1). Under mpirun each rank encodes its shard of the global batch: the inner loss spans the
/// ranks' codes (<see cref="AcrossRanks"/>, as the dense losses), the reconstruction terms and the dead-latent statistics
/// sum over every rank's rows, so the loss and the summed gradients are one process's over the whole batch.
/// </summary>
public sealed class CsrLoss : ILoss
{
    /// <summary>CSRLoss over <paramref name="inner"/> with weights <paramref name="beta"/> (L_aux) and <paramref name="gamma"/> (the inner loss).</summary>
    public CsrLoss(IEmbeddingLoss inner, float beta = 0.1f, float gamma = 1f)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(beta >= 0) || !(gamma >= 0)) throw new ArgumentOutOfRangeException(nameof(beta), "beta and gamma must be ≥ 0");
        Inner = inner;
        Beta = beta;
        Gamma = gamma;
    }

    /// <summary>The loss over the sparse codes.</summary>
    public IEmbeddingLoss Inner { get; }

    /// <summary>β, the auxiliary reconstruction's weight.</summary>
    public float Beta { get; }

    /// <summary>γ, the inner loss's weight.</summary>
    public float Gamma { get; }

    /// <summary>The last batch's terms as sentence-transformers logs them: L_k, L_4k / 8, β·L_aux (each over the columns) and γ·inner.</summary>
    public (float K, float K4, float Aux, float Base) LastTerms { get; private set; }

    /// <inheritdoc />
    public string Name => "csr_" + Inner.Name;

    /// <inheritdoc />
    public bool SpansRanks => true;

    /// <summary>
    /// GradCache (<c>loss.cached</c>): rows per chunk of the dense chain's passes; null: one recorded pass per column.
    /// The chain runs in chunks without recording, the autoencoder and every term over the whole batch on a tape of
    /// their own (the statistics advance once per column, as without it), then each chunk again, recorded, takes its
    /// rows' gradient: the same step as without caching, in one chunk's activation memory.
    /// </summary>
    public int? MiniBatchSize
    {
        get => miniBatchSize;
        init => miniBatchSize = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MiniBatchSize), "rows per chunk must be at least 1");
    }

    private readonly int? miniBatchSize;

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        EmbeddingLoss.CheckBatch(batch);
        var autoEncoder = encoder.Model.AutoEncoder
            ?? throw new TrainingException($"{encoder.Source.Path}: loss.type csr trains a CSR model (a SparseAutoEncoder after the chain; model.type: csr makes one)");
        if (MiniBatchSize is int size) return Cached(encoder, autoEncoder, batch, size, gradientScale);
        using var pass = encoder.BeginPass(record: true);
        var forwards = batch.Columns.Select((_, i) => pass.ForwardAutoEncoder(encoder.Prepare(batch, i))).ToArray();
        var grads = Terms(encoder, forwards, autoEncoder, batch.Labels, (v, g) => pass.Seed(v, g, gradientScale));
        pass.Backward(grads, gradientScale);
        return LastTerms.K + LastTerms.K4 + LastTerms.Aux + LastTerms.Base;
    }

    // The inner loss over the codes and the reconstruction terms of every column (LastTerms): the backbone's and the
    // reconstructions' gradients go to seed, the codes' (γ · the inner loss's) are returned. Every term is the global
    // batch's under mpirun (the codes gathered, the reconstruction sums reduced).
    private EmbeddingBatch[] Terms(TrainableEncoder encoder, AutoEncoderPass[] forwards, SparseAutoEncoder autoEncoder, IReadOnlyList<float>? labels,
        Action<Variable, float[]> seed)
    {
        var comm = encoder.Communicator;
        var columns = forwards.Select(f => new EmbeddingBatch(f.Latents.Span.ToArray(), f.Latents.Rows, f.Latents.Cols)).ToArray();
        var grads = columns.Select(c => new EmbeddingBatch(c.Rows, c.Dim)).ToArray();
        float inner = AcrossRanks.Compute(Inner, comm, columns, labels, grads);
        Action<Span<double>>? sum = comm.Size > 1 ? comm.AllReduceSum : null;
        foreach (var g in grads) System.Numerics.Tensors.TensorPrimitives.Multiply(g.Data, Gamma, g.Data);
        float share = 1f / forwards.Length;
        double k = 0, k4 = 0, aux = 0;
        var preBias = autoEncoder.PreBias.Data.Span;
        foreach (var f in forwards)
        {
            int n = f.Backbone.Length;
            var dx = new float[n];
            var dk = new float[n];
            var d4k = new float[n];
            var daux = new float[n];
            var terms = CsrReconstruction.Compute(f.Backbone.Span, f.ReconstructionK.Span, f.Reconstruction4K.Span, f.ReconstructionAux.Span,
                preBias, f.Backbone.Rows, f.Backbone.Cols, (share, share / 8f, share * Beta), dx, dk, d4k, daux, sum);
            k += terms.K;
            k4 += terms.K4;
            aux += terms.Aux;
            seed(f.Backbone, dx);
            seed(f.ReconstructionK, dk);
            seed(f.Reconstruction4K, d4k);
            seed(f.ReconstructionAux, daux);
        }
        LastTerms = ((float)(k * share), (float)(k4 * share / 8), (float)(Beta * aux * share), Gamma * inner);
        return grads;
    }

    // GradCache at the autoencoder's input, on the one schedule of GradCache: the chain's embeddings of every chunk
    // without recording (the generator's state kept per chunk, so dropout repeats on the second pass), the autoencoder
    // and the terms over the whole batch with those embeddings as leaves, then each chunk recorded and given its rows'
    // gradient.
    private float Cached(TrainableEncoder encoder, SparseAutoEncoder autoEncoder, TrainingBatch batch, int size, float gradientScale)
    {
        int rows = batch.Count, cols = batch.Columns.Count;
        var tokens = batch.Columns.Select((_, i) => encoder.Prepare(batch, i)).ToArray();
        var cache = new GradCache(encoder.Random, cols, rows, size);
        ModelInputs Slice(int c, int m) => tokens[c].Slice(cache.Chunk(m).Start, cache.Chunk(m).Count);
        var parts = new EmbeddingBatch[cols, cache.Chunks];
        using (var pass = encoder.BeginPass(record: false))
            cache.Embed((c, m) => parts[c, m] = pass.ForwardBackbone(Slice(c, m)));
        var backbone = Enumerable.Range(0, cols).Select(c => EmbeddingBatch.Concat([.. Enumerable.Range(0, cache.Chunks).Select(m => parts[c, m])])).ToArray();
        var tape = new Tape();
        var leaves = backbone.Select(b => tape.Constant(b.Data, b.Rows, b.Dim, requiresGrad: true)).ToArray();
        var forwards = leaves.Select(x => autoEncoder.Train(tape, x, encoder.StatsAcrossRanks)).ToArray();
        var codeGrads = Terms(encoder, forwards, autoEncoder, batch.Labels, (v, g) => tape.Seed(v, g, gradientScale));
        for (int c = 0; c < cols; c++) tape.Seed(forwards[c].Latents, codeGrads[c].Data, gradientScale);
        tape.Backward();
        var dx = leaves.Select(x => new EmbeddingBatch(x.HasGrad ? x.Grad.ToArray() : new float[x.Length], x.Rows, x.Cols)).ToArray(); // scaled already
        cache.Replay((c, m) =>
        {
            var slice = Slice(c, m);
            using var pass = encoder.BeginPass(record: true);
            pass.ForwardBackbone(slice);
            pass.Backward([dx[c].SliceRows(cache.Chunk(m).Start, slice.Count)]);
        });
        tape.Reset();
        return LastTerms.K + LastTerms.K4 + LastTerms.Aux + LastTerms.Base;
    }
}
