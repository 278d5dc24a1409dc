using Skald.Hub;
using Skald.Models.Adapters;
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
    private readonly Lock gate = new();

    private SentenceEncoder(ModelFolder folder, Tokenizer tokenizer, ITransformer transformer, PoolingConfig pooling,
        DenseModule[] dense, DenseModule[] queryDense, int maxSeqLength, MaskedLmHead? spladeHead = null, SparseAutoEncoder? autoEncoder = null)
    {
        lifetime.Join(this);
        SpladeHead = spladeHead;
        AutoEncoder = autoEncoder;
        this.queryDense = queryDense;
        Folder = folder;
        Tokenizer = tokenizer;
        Transformer = transformer;
        Pooling = pooling;
        this.dense = dense;
        MaxSeqLength = maxSeqLength;
        Dimension = spladeHead is not null ? spladeHead.Decoder.Shape[0] : autoEncoder is not null ? autoEncoder.Config.HiddenDim
            : dense.Length > 0 ? dense[^1].OutFeatures : pooling.OutputDimension;
        PadId = tokenizer.PadTokenId ?? transformer.Config.PadTokenId;
        PaddingSide = folder.PaddingSide ?? tokenizer.PaddingSide;
        Parameters = [.. transformer.Parameters, .. spladeHead?.Parameters ?? [], .. dense.SelectMany(d => d.Parameters),
            .. autoEncoder?.Parameters ?? []];
        PackWeights = Parameters.Where(p => p.Precision == WeightPrecision.Float32).Sum(p => (long)p.Length) * sizeof(float) <= PackWeightsLimitBytes;
    }

    /// <summary>
    /// Models with more float32 weights than this (1 GiB: a 270M-parameter model) are not pre-packed by default, so
    /// that encoding a 0.5–3B decoder costs no second copy of its weights (<see cref="PackWeights"/>);
    /// <see cref="KeepPackedOnly"/> pre-packs any model without a second copy (the packed form replaces the values).
    /// </summary>
    public const long PackWeightsLimitBytes = 1L << 30;

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

    /// <summary>Longest input in tokens (including special tokens); longer texts are truncated.</summary>
    public int MaxSeqLength { get; }

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

    /// <summary>The id padding is filled with (the tokenizer's pad token, else config.json's pad_token_id).</summary>
    public int PadId { get; }

    /// <summary>
    /// The side batches are padded on: left for LLM2Vec folders, else tokenizer_config.json's padding_side, else
    /// tokenizer.json's padding.direction, else right (as transformers decides). Embeddings do not depend on it.
    /// </summary>
    public PaddingSide PaddingSide { get; }

    /// <summary>
    /// Loads a model folder, merging the PEFT LoRA adapter folders in <paramref name="adapters"/> into its weights in
    /// order (LLM2Vec's MNTP adapter, then a supervised one). An LLM2Vec folder (llm2vec_config.json in the folder or,
    /// as LLM2Vec reads it, in the last adapter) runs bidirectionally, and so does a decoder given an LLM2Vec MNTP
    /// repository as an adapter (its config.json's auto_map names LLM2Vec's encoder code), with LLM2Vec's defaults. Errors are <see cref="ModelFormatException"/> or
    /// <see cref="TokenizerException"/>. The model and each adapter may be a hub id <c>org/name[@revision]</c> (when no
    /// folder of that name exists): it is resolved in the Hugging Face cache, downloading what is missing
    /// (<see cref="HubResolver.Locate"/>; its errors are <see cref="HubException"/>). A PEFT adapter folder as <paramref name="path"/>
    /// loads onto the base its adapter_config.json names, before <paramref name="adapters"/> (<see cref="AdapterBase.Expand"/>).
    /// A cross-encoder (a <c>*ForSequenceClassification</c> config without modules.json, an adapter folder on one, or a
    /// peft SEQ_CLS adapter as the path or in <paramref name="adapters"/>) is refused in one line naming it
    /// (<see cref="NotAnEmbeddingModel"/>): it loads with <see cref="CrossEncoders.CrossEncoder.Load"/>.
    /// <para>
    /// <paramref name="precision"/> <see cref="WeightPrecision.BFloat16"/> keeps the transformer's 2-D weights (linear
    /// layers, embedding tables) in bfloat16, half the memory of float32, computing in float32; <see cref="WeightPrecision.Float16"/>
    /// likewise in IEEE float16 (an F16 checkpoint kept exactly). Such a base is frozen: inference, or LoRA training. Checkpoints stored wider are rounded to nearest even; adapters
    /// are merged in float32 and the merged weight rounded. Static models and Dense modules stay float32.
    /// </para>
    /// </summary>
    public static SentenceEncoder Load(string path, IReadOnlyList<string>? adapters = null,
        WeightPrecision precision = WeightPrecision.Float32) => Load(path, adapters, precision, "");

    /// <summary>
    /// <see cref="Load(string, IReadOnlyList{string}?, WeightPrecision)"/> with <paramref name="parameterPrefix"/> in front
    /// of every parameter's name (the transformer's and the Dense modules'): a second trainable copy of a model, as
    /// ContrastiveTension trains one beside the model, whose names must differ from the model's in a checkpoint.
    /// </summary>
    public static SentenceEncoder Load(string path, IReadOnlyList<string>? adapters, WeightPrecision precision, string parameterPrefix) =>
        Load(path, adapters, precision, parameterPrefix, cachedOnly: false, refuseCrossEncoder: true);

    // With cachedOnly, hub ids are the snapshots the hub cache holds (LoadCached); refuseCrossEncoder: as an embedding
    // model (every public Load), a cross-encoder is one line naming it (LoadAnyHead reads one's encoder on purpose).
    private static SentenceEncoder Load(string path, IReadOnlyList<string>? adapters, WeightPrecision precision, string parameterPrefix, bool cachedOnly,
        bool refuseCrossEncoder, bool lateInteraction = false)
    {
        var (source, folder, weights, located) = Open(path, adapters, cachedOnly, refuseCrossEncoder);
        if (Models.LateInteraction.StanfordColbert.IsStanford(folder.Path))
            return lateInteraction ? LoadStanford(source, folder, weights, located, precision)
                : throw new ModelFormatException(Models.LateInteraction.StanfordColbert.NotASentenceEncoder(path));
        adapters = located;
        var tokenizer = folder.LoadTokenizer();
        ITransformer encoder = folder.IsStatic
            ? StaticEmbeddingModel.Load(folder.TransformerPath)
            : ArchitectureRegistry.Load(weights, precision,
                keepInt8: adapters is not { Count: > 0 } && Quantization.Int8Checkpoint.IsQuantized(folder.TransformerPath), parameterPrefix);
        try
        {
            foreach (var adapter in adapters ?? []) PeftAdapters.Merge(adapter, encoder.Parameters, null, null, parameterPrefix);
            if (adapters is { Count: > 0 } && File.Exists(Path.Combine(adapters[^1], Llm2VecConfig.FileName)))
                folder = folder.WithLlm2VecConfig(adapters[^1]);
            else if (adapters is { Count: > 0 } && adapters.Any(CustomCode.IsLlm2VecEncoder) && encoder is IDecoder)
                folder = folder.AsLlm2Vec(); // an LLM2Vec MNTP repository (its bidirectional code in auto_map) without llm2vec_config.json
            var model = Create(folder, tokenizer, encoder, parameterPrefix: parameterPrefix, lateInteraction: lateInteraction);
            Quantization.Int8Checkpoint.AttachIfQuantized(model, adapters is { Count: > 0 }); // a saved int8 folder: int8 only
            model.Adapters = adapters ?? [];
            model.source = source;
            return model;
        }
        catch
        {
            foreach (var p in encoder.Parameters) p.CloseFile(); // a load that fails after the build leaves no file open
            throw;
        }
    }

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
        model.inference.QuantizeLinear = QuantizeInt8; // an int8 folder stays int8 when switched
        model.inference.Bf16Linear = inference.Bf16Linear;
        model.inference.KeepInt8Only = inference.KeepInt8Only;
        model.inference.KeepPackedOnly = inference.KeepPackedOnly;
        model.inference.KeepBf16Only = inference.KeepBf16Only;
        decoder.AttentionMode = mode;
        return model;
    }

    private static SentenceEncoder Create(ModelFolder folder, Tokenizer tokenizer, ITransformer encoder, bool newSpladeHead = false,
        ulong seed = 42, SparseAutoEncoder? newAutoEncoder = null, string parameterPrefix = "", bool lateInteraction = false,
        DenseModule[]? newDense = null)
    {
        string path = folder.Path;
        if (folder.IsLateInteraction && !lateInteraction) throw new ModelFormatException(Models.LateInteraction.ColbertEncoder.NotASentenceEmbedder(path));
        if (folder.Bidirectional && encoder is IDecoder decoder) decoder.AttentionMode = AttentionMode.Bidirectional;
        if (tokenizer.IdBound > encoder.Config.VocabSize)
            throw new ModelFormatException(
                $"{System.IO.Path.Combine(folder.TransformerPath, "tokenizer.json")}: token ids go up to {tokenizer.IdBound - 1} but the " +
                $"model's embedding table has {encoder.Config.VocabSize} rows (vocab_size): the tokenizer does not belong to this model");
        var pooling = folder.Pooling ?? new PoolingConfig(encoder.HiddenSize, folder.Llm2Vec?.PoolingMode ?? PoolingMode.Mean);
        if (pooling.Dimension != encoder.HiddenSize)
            throw new ModelFormatException(
                $"{path}: Pooling word_embedding_dimension {pooling.Dimension} differs from the transformer's hidden_size {encoder.HiddenSize}");
        DenseModule[] dense = [.. folder.DensePaths.Select(p => DenseModule.Load(p, parameterPrefix)), .. newDense ?? []];
        int width = pooling.OutputDimension;
        foreach (var (d, p) in dense.Zip([.. folder.DensePaths, .. (newDense ?? []).Select(n => n.Weight.Name)]))
        {
            if (d.InFeatures != width)
                throw new ModelFormatException($"{p}: in_features {d.InFeatures} does not match the {width} values coming in");
            width = d.OutFeatures;
        }
        var queryDense = folder.QueryDensePaths.Select(p => DenseModule.Load(p, parameterPrefix)).ToArray();
        int queryWidth = width;
        foreach (var (d, p) in queryDense.Zip(folder.QueryDensePaths))
        {
            if (d.InFeatures != queryWidth)
                throw new ModelFormatException($"{p}: in_features {d.InFeatures} does not match the {queryWidth} values coming in");
            queryWidth = d.OutFeatures;
        }
        if (queryWidth != width)
            throw new ModelFormatException($"{path}: the query route gives {queryWidth} values but the document route {width}; both must agree");
        int max = folder.MaxSeqLength ?? folder.TokenizerMaxLength() ?? encoder.MaxSequenceLength;
        var spladeHead = folder.Splade is { } splade ? LoadSpladeHead(folder, splade, encoder, newSpladeHead, seed) : null;
        var autoEncoder = newAutoEncoder ?? (folder.AutoEncoderPath is { } saePath ? SparseAutoEncoder.Load(saePath) : null);
        if (autoEncoder is not null && autoEncoder.Config.InputDim != width)
            throw new ModelFormatException($"{folder.AutoEncoderPath}: input_dim {autoEncoder.Config.InputDim} does not match the {width} values coming in");
        var model = new SentenceEncoder(folder, tokenizer, encoder, pooling, dense, queryDense, Math.Min(max, encoder.MaxSequenceLength), spladeHead,
            autoEncoder);
        if (lateInteraction) model.AttachProjections(folder.DensePaths, parameterPrefix);
        if (folder.QueryStaticPath is { } staticQuery)
        {
            if (spladeHead is null) throw new ModelFormatException($"{staticQuery}: a SparseStaticEmbedding query route needs a sparse document route");
            model.StaticQuery = SparseStaticEmbedding.Load(staticQuery, model.Dimension, tokenizer,
                new ModelFolder { Path = staticQuery, TransformerPath = staticQuery }.TokenizerMaxLength() ?? model.MaxSeqLength,
                Path.GetRelativePath(folder.Path, staticQuery).Replace('\\', '/') + "/weight");
        }
        return model;
    }

    /// <summary>
    /// Embeds one text (<see cref="Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/>): a null
    /// <paramref name="text"/> is an <see cref="ArgumentNullException"/>.
    /// </summary>
    public float[] Encode(string text, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encode([text], options)[0];
    }

    /// <summary>Embeds texts; result i belongs to text i (<see cref="Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/>).</summary>
    public float[][] Encode(IReadOnlyList<string> texts, EncodeOptions? options = null) => Encode(texts, options, CancellationToken.None);

    /// <summary>
    /// Embeds texts; result i belongs to text i (none: an empty result, without a forward pass). A text past the max
    /// length (<see cref="EncodeOptions.MaxLength"/>, default <see cref="MaxSeqLength"/>) is embedded from its first
    /// tokens. <paramref name="cancellationToken"/> is looked at before anything is done, before each batch (a
    /// forward pass of <see cref="EncodeOptions.BatchSize"/> texts) and, within a batch, before each layer of the
    /// transformer: once it is cancelled the pass stops at the next layer, no further batch starts and
    /// <see cref="OperationCanceledException"/> is thrown with that token (the model stays usable). Throws
    /// <see cref="ArgumentNullException"/> for null <paramref name="texts"/>, <see cref="ArgumentException"/> naming
    /// <paramref name="texts"/> for a null text in it, <see cref="ArgumentOutOfRangeException"/> naming <paramref name="options"/> for a <see cref="EncodeOptions.BatchSize"/>
    /// or <see cref="EncodeOptions.MaxLength"/> (or a CSR model's <see cref="EncodeOptions.MaxActiveDims"/>) below 1 or a <see cref="EncodeOptions.TruncateDim"/> outside
    /// 1..<see cref="Dimension"/> (or any on a sparse encoder), <see cref="ModelFormatException"/> for a prompt name,
    /// instruction or route the model does not have, and <see cref="ObjectDisposedException"/> once disposed.
    /// </summary>
    public float[][] Encode(IReadOnlyList<string> texts, EncodeOptions? options, CancellationToken cancellationToken) =>
        Encode(texts, options, cancellationToken, out _);

    /// <summary>
    /// Encode, and the tokens the model read (prompts and special tokens included, after truncation), counted from the
    /// tokenization the texts were embedded from (usage without tokenizing them again).
    /// </summary>
    internal float[][] Encode(IReadOnlyList<string> texts, EncodeOptions? options, CancellationToken cancellationToken, out long tokens)
    {
        ArgumentNullException.ThrowIfNull(texts);
        cancellationToken.ThrowIfCancellationRequested();
        options ??= new EncodeOptions();
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        if (options.TruncateDim is { } dims && (dims < 1 || dims > Dimension || IsSparse))
            throw new ArgumentOutOfRangeException(nameof(options), IsSparse ? $"{Folder.Path}: TruncateDim (truncate_dim) is for dense embeddings; this is a sparse encoder (use MaxActiveDims)"
                : $"{Folder.Path}: TruncateDim (truncate_dim) {dims} is not in 1..{Dimension} (the model's dimension)");
        if (options.MaxActiveDims is < 1 && AutoEncoder is not null)
            throw new ArgumentOutOfRangeException(nameof(options), $"{Folder.Path}: MaxActiveDims (max_active_dims) must be at least 1, got {options.MaxActiveDims}");
        var inputs = Prepare(texts, options);
        tokens = inputs.Encodings.Sum(e => (long)e.Length);
        options.TruncatedTexts?.Invoke(inputs.Encodings.Count(e => e.Truncated));
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => inputs.Encodings[i].Ids.Length).ToArray();
        var result = new float[texts.Count][];
        int width = options.TruncateDim ?? Dimension;
        bool normalize = options.Normalize && options.TruncateDim is null; // truncated vectors are normalised after the cut
        for (int start = 0; start < order.Length; start += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int b = Math.Min(options.BatchSize, order.Length - start);
            var batch = inputs.Select(order.AsSpan(start, b).ToArray());
            lock (gate)
            {
                var y = Infer(batch, normalize, cancellationToken);
                CheckFinite(y.Span, y.Cols, order.AsSpan(start, b));
                for (int i = 0; i < b; i++) result[order[start + i]] = y.Span.Slice(i * y.Cols, width).ToArray();
            }
            options.Progress?.Invoke(start + b, order.Length);
        }
        if (options.TruncateDim is not null && options.Normalize)
        {
            foreach (var e in result)
            {
                float norm = System.Numerics.Tensors.TensorPrimitives.Norm(e);
                if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(e, norm, e);
            }
        }
        return result;
    }

    /// <summary>
    /// The chain over prepared texts (<see cref="Prepare"/>) on <paramref name="tape"/>: padded on
    /// <see cref="PaddingSide"/>, the prompt and (LLM2Vec) instruction left out of pooling as the inputs say. Inputs on
    /// a Router folder's query route (<see cref="ModelInputs.Query"/>) then run the query adapter (<see cref="QueryDense"/>);
    /// <paramref name="normalize"/> normalises what comes out last.
    /// </summary>
    public Variable Forward(Tape tape, ModelInputs inputs, bool normalize = false)
    {
        ThrowIfDisposed();
        if (inputs.Query && StaticQuery is { } staticQuery)
        {
            var weights = Ops.SparseStatic(tape, [.. inputs.Encodings.Select(e => e.Ids)], staticQuery.Weight); // [B, V]: no transformer on this route
            return normalize ? Ops.Normalize(tape, weights) : weights;
        }
        var tokens = TokenBatch.Pad(inputs.Encodings, PadId, PaddingSide);
        int[]? embedMask = inputs.EmbedCounts is { } counts ? Llm2VecInputs.EmbedMask(tokens, counts) : null;
        bool adapt = inputs.Query && queryDense.Length > 0;
        var y = Forward(tape, tokens, inputs.PromptLength, normalize && !adapt, embedMask, inputs.MaxActiveDims);
        if (!adapt) return y;
        foreach (var d in queryDense) y = d.Forward(tape, y);
        return normalize ? Ops.Normalize(tape, y) : y;
    }

    /// <summary>
    /// The whole chain over one padded batch on <paramref name="tape"/>: transformer → pooling → dense → normalize
    /// (when the folder has a Normalize module or <paramref name="normalize"/>): embeddings [B, <see cref="Dimension"/>].
    /// The first <paramref name="promptLength"/> real tokens are left out of pooling when the Pooling module says
    /// include_prompt = false; with <paramref name="embedMask"/> [B, T] only the tokens it marks are pooled (LLM2Vec's
    /// instruction exclusion, <see cref="Llm2VecInputs.EmbedMask"/>).
    /// </summary>
    public Variable Forward(Tape tape, TokenBatch tokens, int promptLength = 0, bool normalize = false, int[]? embedMask = null,
        int? maxActiveDims = null)
    {
        ThrowIfDisposed();
        if (LateInteraction is not null) throw new ModelFormatException(Models.LateInteraction.ColbertEncoder.NotASentenceEmbedder(Folder.Path));
        var hidden = TransformerForward(tape, tokens); // [B·T, C]
        if (SpladeHead is not null)
        {
            var sparse = SpladeForward(tape, hidden, tokens); // [B, V]
            return Folder.Normalize || normalize ? Ops.Normalize(tape, sparse) : sparse;
        }
        var y = Modules.Pooling.Forward(tape, hidden, tokens.Mask, tokens.Batch, tokens.Seq, Pooling, promptLength, embedMask); // [B, k·C]
        foreach (var d in dense) y = d.Forward(tape, y);
        if (AutoEncoder is { } autoEncoder) // CSR: the dense chain (its Normalize included), then the sparse code [B, H]
        {
            y = autoEncoder.Forward(tape, Folder.Normalize ? Ops.Normalize(tape, y) : y, maxActiveDims);
            return normalize ? Ops.Normalize(tape, y) : y;
        }
        return Folder.Normalize || normalize ? Ops.Normalize(tape, y) : y;
    }
}
