using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.Modules;

/// <summary>
/// sentence-transformers' SparseAutoEncoder, the last module of a CSR model (Contrastive Sparse Representation,
/// "Beyond Matryoshka", arXiv 2503.01776): a dense embedding x [B, D] becomes a sparse one [B, H] whose k largest
/// latents are kept.
/// <code>
/// pre   = (x − pre_bias) · Wᵀ + latent_bias          [B, H]   encoder.weight W [H, D]
/// z_k   = relu(top_k(pre))                            [B, H]   the embedding
/// x̂     = z · W + pre_bias                            [B, D]   the tied decoder (training only)
/// </code>
/// Training also keeps, per latent, how many top-k selections ago it last fired (<c>stats_last_nonzero</c>, a buffer
/// saved with the weights); a latent silent for more than dead_threshold of them is dead, and the auxiliary code
/// z_aux = relu(top_k_aux(pre over dead latents)) must reconstruct what z_k misses (<see cref="Train"/>).
/// Parameters are named <c>{module folder}/pre_bias</c>, <c>/encoder.weight</c>, <c>/latent_bias</c>.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/models/SparseAutoEncoder.py
/// </remarks>
public sealed class SparseAutoEncoder
{
    /// <summary>The key sentence-transformers' safetensors file keeps for the tied weight (of the two names it has, the first in sorted order).</summary>
    public const string StoredWeightKey = "decoder.linear.weight";

    /// <summary>The same tensor under the encoder's name (either is read).</summary>
    public const string EncoderWeightKey = "encoder.weight";

    /// <summary>The buffer of selections since each latent last fired.</summary>
    public const string StatsKey = "stats_last_nonzero";

    private SparseAutoEncoder(string module, SparseAutoEncoderConfig config, float[] preBias, float[] weight, float[] latentBias, long[] stats)
    {
        Module = module;
        Config = config;
        PreBias = new Parameter(module + "/pre_bias", preBias, [config.InputDim], weightDecay: false);
        Weight = new Parameter(module + "/" + EncoderWeightKey, weight, [config.HiddenDim, config.InputDim], weightDecay: true);
        LatentBias = new Parameter(module + "/latent_bias", latentBias, [config.HiddenDim], weightDecay: false);
        Stats = stats;
    }

    /// <summary>The module folder's name (<c>3_SparseAutoEncoder</c>), the parameters' prefix.</summary>
    public string Module { get; }

    /// <summary>Its config.json.</summary>
    public SparseAutoEncoderConfig Config { get; }

    /// <summary>pre_bias [D].</summary>
    public Parameter PreBias { get; }

    /// <summary>encoder.weight [H, D], also the decoder (transposed).</summary>
    public Parameter Weight { get; }

    /// <summary>latent_bias [H].</summary>
    public Parameter LatentBias { get; }

    /// <summary>stats_last_nonzero [H]: top-k selections since each latent last fired (training updates it).</summary>
    public long[] Stats { get; }

    /// <summary>Its parameters.</summary>
    public IReadOnlyList<Parameter> Parameters => [PreBias, Weight, LatentBias];

    /// <summary>Reads a module folder: config.json and model.safetensors (the weight under either of its names; stats optional).</summary>
    public static SparseAutoEncoder Load(string folder)
    {
        var config = SparseAutoEncoderConfig.Load(Path.Combine(folder, "config.json"));
        string module = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        using var w = Checkpoint.OpenFolder(folder);
        string weightKey = w.Contains(StoredWeightKey) ? StoredWeightKey : w.Contains(EncoderWeightKey) ? EncoderWeightKey
            : throw new ModelFormatException($"{folder}: model.safetensors has neither \"{StoredWeightKey}\" nor \"{EncoderWeightKey}\"");
        int d = config.InputDim, h = config.HiddenDim;
        var stats = new long[h];
        if (w.Contains(StatsKey))
        {
            var counts = w.ReadIndices(StatsKey, h, int.MaxValue);
            for (int j = 0; j < h; j++) stats[j] = counts[j];
        }
        return new SparseAutoEncoder(module, config, w.Read("pre_bias", d), w.Read(weightKey, h, d), w.Read("latent_bias", h), stats);
    }

    /// <summary>
    /// A new module to train, as nn.Linear initialises the encoder (uniform in ±1/√D, from <paramref name="seed"/>), the
    /// biases and statistics zero.
    /// </summary>
    public static SparseAutoEncoder Create(string module, SparseAutoEncoderConfig config, ulong seed)
    {
        config.Check(module);
        var random = new SkaldRandom(seed);
        float bound = 1f / MathF.Sqrt(config.InputDim);
        var weight = new float[config.HiddenDim * config.InputDim];
        for (int i = 0; i < weight.Length; i++) weight[i] = (2f * random.NextFloat() - 1f) * bound;
        return new SparseAutoEncoder(module, config, new float[config.InputDim], weight, new float[config.HiddenDim], new long[config.HiddenDim]);
    }

    /// <summary>
    /// Inference: x [B, D] → the sparse embedding [B, H] with <paramref name="k"/> latents kept (max_active_dims;
    /// <see cref="SparseAutoEncoderConfig.K"/> when null).
    /// </summary>
    public Variable Forward(Tape tape, Variable x, int? k = null)
    {
        if (k is < 1) throw new ArgumentOutOfRangeException(nameof(k), "max_active_dims must be at least 1");
        if (Config.Normalize) x = Ops.Standardize(tape, x, Ops.RowStats(tape, x));
        return Ops.TopKRelu(tape, Ops.AutoEncode(tape, x, PreBias, Weight, LatentBias), k ?? Config.K);
    }

    /// <summary>
    /// A training forward over x [B, D], as sentence-transformers runs it outside inference mode: the k code (the
    /// embedding), then <see cref="Stats"/> updated with it; the auxiliary code over the latents now dead; the 4k code,
    /// which sentence-transformers takes after its auxiliary step has zeroed the live latents' pre-activations in place,
    /// so that it too keeps dead latents only, then a second update; and the three reconstructions. Under data
    /// parallelism x holds this rank's rows and <paramref name="sumAcrossRanks"/> sums the per-latent firing counts
    /// over the ranks before each update, so every rank's statistics are those of the global batch.
    /// </summary>
    public AutoEncoderPass Train(Tape tape, Variable x, Action<Span<float>>? sumAcrossRanks = null)
    {
        // normalize: the row standardised (LN), and each reconstruction mapped back by the row's mean and deviation
        // (decode's undo); the backbone the loss compares them with is the standardised row, as upstream's features
        // hold it, so its reconstruction terms set the standardised input against reconstructions on the input's scale.
        var stats = Config.Normalize ? Ops.RowStats(tape, x) : null;
        if (stats is not null) x = Ops.Standardize(tape, x, stats);
        Variable Decode(Variable latents) =>
            stats is null ? Ops.TiedDecode(tape, latents, Weight, PreBias) : Ops.Destandardize(tape, Ops.TiedDecode(tape, latents, Weight, PreBias), stats);
        var pre = Ops.AutoEncode(tape, x, PreBias, Weight, LatentBias); // [B, H]
        var latents = Ops.TopKRelu(tape, pre, Config.K);
        UpdateStats(latents, sumAcrossRanks);
        var dead = new bool[Config.HiddenDim];
        for (int j = 0; j < dead.Length; j++) dead[j] = Stats[j] > Config.DeadThreshold;
        var auxiliary = Ops.TopKRelu(tape, pre, Config.KAux, dead);
        var latents4k = Ops.TopKRelu(tape, pre, 4 * Config.K, dead);
        UpdateStats(latents4k, sumAcrossRanks);
        return new AutoEncoderPass(x, latents, Decode(latents), Decode(latents4k), Decode(auxiliary));
    }

    /// <summary>
    /// One top-k selection's statistics: a latent kept with a value above 1e-5 in any row (of any rank's, summed by
    /// <paramref name="sumAcrossRanks"/>) restarts at 0, then every latent counts one more.
    /// </summary>
    private void UpdateStats(Variable code, Action<Span<float>>? sumAcrossRanks)
    {
        var z = code.Span;
        int h = Config.HiddenDim, rows = code.Rows;
        var fired = new float[h];
        for (int j = 0; j < h; j++)
        {
            for (int r = 0; r < rows && fired[j] == 0; r++) fired[j] = z[r * h + j] > 1e-5f ? 1 : 0;
        }
        sumAcrossRanks?.Invoke(fired);
        for (int j = 0; j < h; j++) Stats[j] = fired[j] > 0 ? 1 : Stats[j] + 1;
    }
}
