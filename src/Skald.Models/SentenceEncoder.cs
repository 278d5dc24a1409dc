using Skald.Models.Architectures;
using Skald.Models.MaskedLm;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;

namespace Skald.Models;

/// <summary>
/// A sentence-embedding model: tokenizer → transformer → pooling → dense → normalize, loaded from a Hugging Face or
/// sentence-transformers folder and giving the embeddings sentence-transformers gives. The chain is defined once
/// (<see cref="Forward(Tape, TokenBatch, int, bool, int[], int?)"/>): encoding runs it on a tape that does not record; training runs it on a recording tape.
/// <code>
/// var model = SentenceEncoder.Load("models/nb-sbert-base");
/// float[][] e = model.Encode(["Hei verden", "Hallo verda"]);
/// float s = model.Similarity(e[0], e[1]);
/// </code>
/// One instance may be shared (a singleton in an app's DI container): <see cref="Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/>
/// may be called from several threads at once, texts are tokenised concurrently and the forward passes take turns.
/// Training and the methods that change the weights are not for a shared instance.
/// </summary>
public sealed partial class SentenceEncoder
{
    private readonly DenseModule[] dense;
    private readonly DenseModule[] queryDense; // a Router folder's query-route adapter (empty otherwise)
    private readonly Tape inference = new(recording: false) { PackWeights = true, DirectAttention = true }; // grow-only activation memory of Encode, reused
    private InferenceGate gate = new(); // the passes' turn, shared with the models that share the weights (ShareLifetime)
    private readonly InFlightBatches batchLoop; // Encode's batches, whole ones on each thread: its tapes beside `inference`

    private SentenceEncoder(ModelFolder folder, Tokenizer tokenizer, ITransformer transformer, PoolingConfig pooling,
        DenseModule[] dense, DenseModule[] queryDense, int maxSeqLength, MaskedLmHead? spladeHead = null, SparseAutoEncoder? autoEncoder = null)
    {
        lifetime.Join(this);
        batchLoop = new InFlightBatches(inference);
        SpladeHead = spladeHead;
        AutoEncoder = autoEncoder;
        this.queryDense = queryDense;
        Folder = folder;
        Tokenizer = tokenizer;
        Transformer = transformer;
        Pooling = pooling;
        this.dense = dense;
        this.maxSeqLength = maxSeqLength;
        Dimension = spladeHead is not null ? spladeHead.Decoder.Shape[0] : autoEncoder is not null ? autoEncoder.Config.HiddenDim
            : dense.Length > 0 ? dense[^1].OutFeatures : pooling.OutputDimension;
        PadId = tokenizer.PadTokenId ?? transformer.Config.PadTokenId;
        PaddingSide = folder.PaddingSide ?? tokenizer.PaddingSide;
        Parameters = [.. transformer.Parameters, .. spladeHead?.Parameters ?? [], .. dense.SelectMany(d => d.Parameters),
            .. autoEncoder?.Parameters ?? []];
        InferenceWeights.SpendMemoryOnSpeed(inference, Parameters);
    }

    /// <summary>
    /// Models with more float32 weights than this (1 GiB: a 270M-parameter model) are not pre-packed by default, so
    /// that encoding a 0.5–3B decoder costs no second copy of its weights (<see cref="PackWeights"/>);
    /// <see cref="KeepPackedOnly"/> pre-packs any model without a second copy (the packed form replaces the values).
    /// </summary>
    public const long PackWeightsLimitBytes = 1L << 30;

    /// <summary>
    /// The rule encoders set <see cref="PackWeights"/> and <see cref="HoldWeightPieces"/> by: true when
    /// <paramref name="parameters"/> hold at most <see cref="PackWeightsLimitBytes"/> of float32 values (for a caller
    /// running a transformer on its own <see cref="Tape"/>, as the benchmarks do, to set it as the encoders do).
    /// </summary>
    public static bool SpendsMemoryOnSpeed(IEnumerable<Parameter> parameters) =>
        parameters.Where(p => p.Precision == WeightPrecision.Float32).Sum(p => (long)p.Length) * sizeof(float) <= PackWeightsLimitBytes;

    /// <summary>The folder's module chain (modules.json, pooling and dense configs).</summary>
    public ModelFolder Folder { get; private set; }

    /// <summary>The tokenizer (from tokenizer.json).</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The transformer (first module).</summary>
    public ITransformer Transformer { get; }

    /// <summary>Pooling configuration.</summary>
    public PoolingConfig Pooling { get; }

    /// <summary>Dense modules after pooling.</summary>
    public IReadOnlyList<DenseModule> Dense => dense;

    /// <summary>
    /// A Router folder's query-route Dense modules (the query adapter), run after <see cref="Dense"/> and Normalize for
    /// texts on the "query" route; empty for other models.
    /// </summary>
    public IReadOnlyList<DenseModule> QueryDense => queryDense;

    /// <summary>Embedding width.</summary>
    public int Dimension { get; }

    /// <summary>
    /// Longest input in tokens (including special tokens); longer texts are truncated. Settable, as sentence-transformers'
    /// <c>model.max_seq_length = N</c>, from 1 to the transformer's positions (<see cref="ITransformer.MaxSequenceLength"/>);
    /// a saved model records it.
    /// </summary>
    public int MaxSeqLength
    {
        get => maxSeqLength;
        set => maxSeqLength = value >= 1 && value <= Transformer.MaxSequenceLength ? value
            : throw new ArgumentOutOfRangeException(nameof(value), $"max_seq_length must be from 1 to the model's {Transformer.MaxSequenceLength} positions, got {value}");
    }

    private int maxSeqLength;

    /// <summary>The model's similarity function.</summary>
    public SimilarityFunction SimilarityFunction => Folder.Similarity;

    /// <summary>
    /// Every parameter of the chain: the transformer's under their checkpoint keys, then the Dense modules' under
    /// <c>{module folder}/{key}</c>.
    /// </summary>
    public IReadOnlyList<Parameter> Parameters { get; private set; }

    /// <summary>Total parameter count (transformer + dense).</summary>
    public long ParameterCount => Parameters.Sum(p => (long)p.Length);

    /// <summary>Bytes the weights take in memory (4 a float32 value, 2 a bfloat16 or float16 one; a tied head counted once).</summary>
    public long WeightBytes => Parameters.Sum(p => p.Bytes);

    /// <summary>
    /// How the transformer's weight matrices are held: <see cref="WeightPrecision.BFloat16"/> or
    /// <see cref="WeightPrecision.Float16"/> when any parameter is so (then the base is frozen: inference or LoRA).
    /// </summary>
    public WeightPrecision WeightPrecision =>
        Parameters.FirstOrDefault(p => p.Precision != WeightPrecision.Float32)?.Precision ?? WeightPrecision.Float32;

    /// <summary>
    /// Whether <see cref="Encode(IReadOnlyList{string}, EncodeOptions?)"/> multiplies by copies of the float32 Linear
    /// weights pre-packed for the GEMM (made on first use; the same embeddings bit for bit, faster for small batches;
    /// costs one float32 copy of those weights, dropped when training changes them). Default true up to
    /// <see cref="PackWeightsLimitBytes"/> of float32 weights, false above (set it to trade memory for speed); bfloat16
    /// weights are never packed. A packed-only model (<see cref="KeepPackedOnly"/>) reads its packed weights whatever
    /// this says.
    /// </summary>
    public bool PackWeights
    {
        get => inference.PackWeights;
        set => inference.PackWeights = value;
    }

    /// <summary>
    /// On CPUs whose float32 products run as AMX bfloat16 tiles (six terms, the float32 kernels' accuracy; Intel Sapphire
    /// Rapids and later), whether the weights packed from now on hold their three bfloat16 pieces (6 bytes a weight,
    /// faster: most for few texts, such as one query) rather than split them from their float32 panels in each product
    /// (4 bytes a weight). The same embeddings bit for bit; no effect on other CPUs. Default as <see cref="PackWeights"/>:
    /// true up to <see cref="PackWeightsLimitBytes"/> of float32 weights. SKALD_AMX_FP32=pieces or =split overrides it.
    /// </summary>
    public bool HoldWeightPieces
    {
        get => inference.HoldWeightPieces;
        set => inference.HoldWeightPieces = value;
    }

    /// <summary>
    /// On CPUs whose float32 products run as AMX bfloat16 tiles, how <see cref="Encode(IReadOnlyList{string}, EncodeOptions?)"/>
    /// forms its float32 Linear products, as <c>torch.set_float32_matmul_precision</c>: <see cref="Tensors.Float32MatmulPrecision.Highest"/>
    /// (the default: float32 accuracy) or <see cref="Tensors.Float32MatmulPrecision.High"/> (each operand as two bfloat16
    /// pieces, three terms: faster, each product within about 3·2^-16; embeddings within cosine 0.99999 of Highest's).
    /// No effect on other CPUs, on training or on bfloat16-exact weights. SKALD_AMX_FP32=high sets High for the process.
    /// </summary>
    public Tensors.Float32MatmulPrecision Float32MatmulPrecision
    {
        get => inference.Float32Matmul;
        set => inference.Float32Matmul = value;
    }

    /// <summary>The id padding is filled with (the tokenizer's pad token, else config.json's pad_token_id).</summary>
    public int PadId { get; }

    /// <summary>
    /// The side batches are padded on: left for LLM2Vec folders, else tokenizer_config.json's padding_side, else
    /// tokenizer.json's padding.direction, else right (as transformers decides). Embeddings do not depend on it.
    /// </summary>
    public PaddingSide PaddingSide { get; }

    /// <summary>
    /// This model with its decoder's attention set to <paramref name="mode"/>. Bidirectional on a plain decoder folder
    /// (no modules.json, no llm2vec_config.json) makes it an LLM2Vec model with LLM2Vec's defaults, as LLM2Vec's
    /// recipe trains it: its inputs, left padding, pooling over the text's tokens (<see cref="ModelFolder.AsLlm2Vec"/>).
    /// The transformer is shared with this instance, and so are <see cref="PackWeights"/>, <see cref="QuantizeInt8"/> and
    /// an int8-only model's int8 weights (<see cref="KeepInt8Only"/>), a packed-only model's packed ones
    /// (<see cref="KeepPackedOnly"/>) or a bf16-only model's panels (<see cref="KeepBf16Only"/>): switching attention
    /// needs no float32 values and re-packs nothing.
    /// </summary>
    public SentenceEncoder WithAttention(AttentionMode mode)
    {
        ThrowIfDisposed();
        if (Transformer is not IDecoder decoder)
            throw new ModelFormatException($"{Folder.Path}: attention can be switched on decoders only ({Transformer.Config.ModelType} is an encoder)");
        var model = mode == AttentionMode.Bidirectional && !Folder.IsSentenceTransformers && Folder.Llm2Vec is null
            ? ShareLifetime(Create(Folder.AsLlm2Vec(), Tokenizer, Transformer))
            : this;
        model.PackWeights = PackWeights;
        model.HoldWeightPieces = HoldWeightPieces;
        model.Float32MatmulPrecision = Float32MatmulPrecision;
        model.inference.QuantizeLinear = QuantizeInt8; // an int8 folder stays int8 when switched
        model.inference.Bf16Linear = inference.Bf16Linear;
        model.inference.KeepInt8Only = inference.KeepInt8Only;
        model.inference.KeepPackedOnly = inference.KeepPackedOnly;
        model.inference.KeepBf16Only = inference.KeepBf16Only;
        decoder.AttentionMode = mode;
        return model;
    }
}
