using Skald.Models;
using Skald.Models.Modules;
using Skald.Retrieval.Models;
using Skald.Retrieval;
using Skald.Tensors;

namespace Skald.Evaluation.Models;

/// <summary>
/// The embedding model that <c>skald evaluate</c> and <c>skald benchmark</c> run: a model folder's
/// <see cref="SentenceEncoder"/> as an <see cref="IEmbeddingModel"/>, with role prompts, duplicate texts encoded once,
/// and an optional on-disk <see cref="EmbeddingCache"/>. (During training, Skald.Training's adapter plays this part.)
/// Disposing it disposes the encoder when it loaded it (<see cref="Load"/>); an encoder passed to the constructor stays
/// the caller's.
/// </summary>
public sealed class EvaluationEmbeddingModel : IEmbeddingModel, IDisposable
{
    private readonly EvaluationEmbeddingOptions options;
    // The cache opens on first use (CacheFor), under a key that holds the encoder's numerics then: --quantize and
    // --float32-matmul are set on the encoder after this model is made. Null without a cache folder.
    private readonly string? cacheSettings;
    private readonly string modelPath;
    private EmbeddingCache? cache;
    private string? cacheNumerics;
    private readonly Dictionary<string, string> metadata;
    private bool ownsEncoder;
    // A task view's task (ForTask) and the model it views (whose EncodedCount it adds to); null on the model itself.
    private readonly string? taskName, taskType;
    private readonly EvaluationEmbeddingModel? viewed;
    private int encodedCount;

    /// <summary>Wraps a loaded encoder; <paramref name="modelPath"/> identifies it for the cache.</summary>
    public EvaluationEmbeddingModel(SentenceEncoder encoder, string modelPath, EvaluationEmbeddingOptions? options = null)
    {
        Encoder = encoder;
        this.options = options ?? new EvaluationEmbeddingOptions();
        Name = this.options.Name ?? ModelNames.Of(modelPath);
        // A sparse encoder's rows are vocabulary-wide and nearly all zero: its cache keeps their non-zero entries.
        this.modelPath = modelPath;
        if (this.options.CacheDirectory is { } dir)
        {
            EmbeddingCache.CheckRoot(dir);
            cacheSettings = $"max={this.options.MaxLength}" + (this.options.TruncateDim is { } t ? $";truncate={t}" : "")
                + (this.options.MaxActiveDims is { } a ? $";active={a}" : "");
        }
        if (this.options.TruncateDim is { } cut && (cut < 1 || cut > encoder.Dimension || encoder.IsSparse))
            throw new EvaluationException(encoder.IsSparse ? $"{modelPath}: truncate_dim is for dense embeddings; this is a sparse encoder (use max_active_dims)"
                : $"{modelPath}: truncate_dim {cut} is not in 1..{encoder.Dimension} (the model's dimension)");
        if (this.options.MaxActiveDims is { } active && (active < 1 || !encoder.IsSparse))
            throw new EvaluationException(active < 1 ? "max_active_dims must be at least 1"
                : $"{modelPath}: max_active_dims is for sparse encoders (SPLADE, CSR); this model's embeddings are dense");
        metadata = new Dictionary<string, string>
        {
            ["path"] = Path.GetFullPath(modelPath),
            ["dimension"] = (this.options.TruncateDim ?? encoder.Dimension).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["max_seq_length"] = MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["similarity"] = Similarities.Name(encoder.SimilarityFunction),
            ["query_prompt"] = PromptFor(TextRole.Query) ?? "",
            ["document_prompt"] = PromptFor(TextRole.Document) ?? "",
        };
        if (this.options.TruncateDim is { } kept) metadata["truncate_dim"] = kept.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (this.options.MaxActiveDims is { } dims) metadata["max_active_dims"] = dims.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    // A view of source for one task (its prompts picked by the task's keys) with these options' prompts: the same encoder and cache.
    private EvaluationEmbeddingModel(EvaluationEmbeddingModel source, string? taskName, string? taskType, EvaluationEmbeddingOptions options)
    {
        Encoder = source.Encoder;
        this.options = options;
        modelPath = source.modelPath;
        cacheSettings = source.cacheSettings; // the cache itself is the viewed model's (CacheFor)
        Name = source.Name;
        viewed = source.viewed ?? source;
        this.taskName = taskName;
        this.taskType = taskType;
        metadata = new Dictionary<string, string>(source.metadata)
        {
            ["query_prompt"] = PromptFor(TextRole.Query) ?? "",
            ["document_prompt"] = PromptFor(TextRole.Document) ?? "",
        };
        if (PromptFor(TextRole.Text) is { } text) metadata["text_prompt"] = text;
    }

    /// <inheritdoc/>
    /// <remarks>A view when the folder's prompts have task keys (<see cref="RolePrompts.HasTaskKeys"/>), else this model.</remarks>
    public IEvaluationModel ForTask(string taskName, string? taskType) =>
        RolePrompts.HasTaskKeys(Encoder.Folder.Prompts) ? new EvaluationEmbeddingModel(viewed ?? this, taskName, taskType, options) : this;

    /// <inheritdoc/>
    /// <remarks>A view sharing the encoder and the embedding cache (whose keys hold the prompt), keeping a task view's task.</remarks>
    public IEmbeddingModel WithPrompts(string? queryPrompt, string? documentPrompt) =>
        new EvaluationEmbeddingModel(viewed ?? this, taskName, taskType,
            options with { QueryPrompt = queryPrompt ?? options.QueryPrompt, DocumentPrompt = documentPrompt ?? options.DocumentPrompt });

    /// <summary>
    /// Loads a model folder (with <see cref="EvaluationEmbeddingOptions.HubCacheOnly"/>, hub ids from the hub cache only);
    /// the encoder is this model's, disposed with it.
    /// </summary>
    public static EvaluationEmbeddingModel Load(string path, EvaluationEmbeddingOptions? options = null)
    {
        var encoder = options is { HubCacheOnly: true } ? SentenceEncoder.LoadCached(path) : SentenceEncoder.Load(path);
        try
        {
            return new EvaluationEmbeddingModel(encoder, path, options) { ownsEncoder = true };
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the encoder when this model loaded it (<see cref="Load"/>); one passed in is left alone.</summary>
    public void Dispose()
    {
        if (ownsEncoder) Encoder.Dispose();
    }

    /// <summary>The wrapped encoder.</summary>
    public SentenceEncoder Encoder { get; }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => metadata;

    /// <inheritdoc/>
    public int Dimension => options.TruncateDim ?? Encoder.Dimension;

    /// <inheritdoc/>
    public SimilarityFunction Similarity => Encoder.SimilarityFunction;

    /// <inheritdoc/>
    public bool IsSparse => Encoder.IsSparse;

    /// <summary>Token limit in effect (including special tokens and the prompt).</summary>
    public int MaxTokens => Math.Min(options.MaxLength ?? Encoder.MaxSeqLength, Encoder.MaxSeqLength);

    /// <summary>Texts actually run through the encoder (cache misses) since construction.</summary>
    public int EncodedCount => viewed?.encodedCount ?? encodedCount;

    /// <summary>
    /// The prompt used for a role (null = the model's default prompt, usually none); for an LLM2Vec model it is the
    /// role's instruction (LLM2Vec's (instruction, text) pairs: attended to, left out of pooling). A prompt given in the
    /// options wins; else the folder's by <see cref="RolePrompts.For"/> (with a task view's task).
    /// </summary>
    public string? PromptFor(TextRole role) => role switch
    {
        TextRole.Query => options.QueryPrompt ?? RolePrompts.For(Encoder.Folder.Prompts, role, taskName, taskType),
        TextRole.Document => options.DocumentPrompt ?? RolePrompts.For(Encoder.Folder.Prompts, role, taskName, taskType),
        _ => RolePrompts.For(Encoder.Folder.Prompts, role, taskName, taskType),
    };

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, TextRole role)
    {
        string? prompt = PromptFor(role);
        string? route = role switch { TextRole.Query => "query", TextRole.Document => "document", _ => null };
        // A Router folder embeds the same text differently per route: the route is part of the cache key.
        string? keyPrompt = Encoder.Folder.DefaultRoute is null ? prompt : $"{prompt}\u0002{route ?? Encoder.Folder.DefaultRoute}";
        var cache = (viewed ?? this).CacheFor();
        var result = new float[texts.Count][];
        var missing = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var keys = new TextKey[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            if (cache is not null)
            {
                keys[i] = EmbeddingCache.Key(keyPrompt, texts[i]);
                if (cache.TryGet(keys[i], out var v)) { result[i] = v; continue; }
            }
            if (!missing.TryGetValue(texts[i], out var list)) missing[texts[i]] = list = [];
            list.Add(i);
        }
        if (missing.Count == 0) return result;
        var unique = missing.Keys.ToArray();
        // The role's prompt as RoleEncoding puts it (an LLM2Vec model's instruction; a Router folder's route), as an index built from code does.
        var vectors = Encoder.Encode(unique, RoleEncoding.Options(Encoder, role, prompt) with
        {
            BatchSize = options.BatchSize,
            MaxLength = options.MaxLength,
            Progress = options.Progress,
            MaxActiveDims = options.MaxActiveDims, // a CSR model keeps that many latents
            TruncateDim = options.TruncateDim,
        });
        if (options.MaxActiveDims is { } keep) // a SPLADE model's vectors pruned to their largest entries (a CSR code is already)
        {
            for (int u = 0; u < vectors.Length; u++)
            {
                var sparse = SparseEmbedding.FromDense(vectors[u], keep);
                var pruned = new float[vectors[u].Length];
                for (int j = 0; j < sparse.Count; j++) pruned[sparse.Indices[j]] = sparse.Values[j];
                vectors[u] = pruned;
            }
        }
        (viewed ?? this).encodedCount += unique.Length;
        var fresh = new List<(TextKey, float[])>(unique.Length);
        for (int u = 0; u < unique.Length; u++)
        {
            var idx = missing[unique[u]];
            foreach (int i in idx) result[i] = vectors[u];
            if (cache is not null) fresh.Add((keys[idx[0]], vectors[u]));
        }
        cache?.AddRange(fresh);
        return result;
    }

    // The on-disk cache for the encoder's numerics now (null without a cache folder), opened when they first differ from
    // the open one's: a cached float32 run's embeddings are never an int8, bfloat16 or "high" run's.
    private EmbeddingCache? CacheFor()
    {
        if (options.CacheDirectory is not { } dir || cacheSettings is null) return null;
        string numerics = Numerics(Encoder);
        if (cache is null || cacheNumerics != numerics)
        {
            cache = new EmbeddingCache(dir, EmbeddingCache.ModelKey(modelPath, cacheSettings + ";" + numerics), Dimension, sparse: Encoder.IsSparse);
            cacheNumerics = numerics;
        }
        return cache;
    }

    /// <summary>
    /// What in <paramref name="encoder"/>'s state, beyond its folder, changes its embeddings: its weights' number format
    /// (a bfloat16 or float16 load), int8 or bfloat16 Linear products (<c>--quantize</c>, an int8 folder) and, where
    /// AMX runs them (<see cref="Float32Matmul.HighRuns"/>), float32 products at "high" (<c>--float32-matmul</c>,
    /// SKALD_AMX_FP32=high). Part of the embedding cache's key.
    /// </summary>
    public static string Numerics(SentenceEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return Numerics(encoder.WeightPrecision, encoder.QuantizeInt8 || encoder.IsInt8Only, encoder.ComputeBf16 || encoder.IsBf16Only,
            encoder.Float32MatmulPrecision);
    }

    /// <summary>
    /// <see cref="Numerics(SentenceEncoder)"/> of a model loaded with <paramref name="weights"/>, multiplying in int8
    /// (<paramref name="int8"/>) or bfloat16 (<paramref name="bf16"/>) or else at <paramref name="float32"/> (or "high"
    /// where SKALD_AMX_FP32=high asks for it): the one spelling, also keying <c>skald benchmark</c>'s results before it
    /// loads the model.
    /// </summary>
    public static string Numerics(WeightPrecision weights, bool int8, bool bf16, Float32MatmulPrecision float32)
    {
        bool high = Float32Matmul.HighRuns && (float32 == Float32MatmulPrecision.High || Float32Matmul.HighByProcess);
        return $"weights={weights};int8={int8};bf16={bf16};float32={(high ? "high" : "highest")}";
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="RoleEncoding.SplitToFit"/> cuts it, with the role's prompt and <see cref="MaxTokens"/>.</remarks>
    public IReadOnlyList<string> SplitToFit(string text, TextRole role) => RoleEncoding.SplitToFit(Encoder.Tokenizer, PromptFor(role), MaxTokens, text);
}
