using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Modules;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;

namespace Skald.Models;

/// <summary>
/// A sentence-embedding model: tokenizer → transformer → pooling → dense → normalize, loaded from a Hugging Face or
/// sentence-transformers folder and giving the embeddings sentence-transformers gives. The chain is defined once
/// (<see cref="Forward"/>): encoding runs it on a tape that does not record; training runs it on a recording tape.
/// <code>
/// var model = SentenceEncoder.Load("models/nb-sbert-base");
/// float[][] e = model.Encode(["Hei verden", "Hallo verda"]);
/// float s = model.Similarity(e[0], e[1]);
/// </code>
/// </summary>
public sealed class SentenceEncoder
{
    private readonly DenseModule[] dense;
    private readonly Tape inference = new(recording: false); // grow-only activation memory of Encode, reused
    private readonly Lock gate = new();

    private SentenceEncoder(ModelFolder folder, Tokenizer tokenizer, ITransformer transformer, PoolingConfig pooling,
        DenseModule[] dense, int maxSeqLength)
    {
        Folder = folder;
        Tokenizer = tokenizer;
        Transformer = transformer;
        Pooling = pooling;
        this.dense = dense;
        MaxSeqLength = maxSeqLength;
        Dimension = dense.Length > 0 ? dense[^1].OutFeatures : pooling.OutputDimension;
        PadId = tokenizer.PadTokenId ?? transformer.Config.PadTokenId;
        Parameters = [.. transformer.Parameters, .. dense.SelectMany(d => d.Parameters)];
    }

    /// <summary>The folder's module chain (modules.json, pooling and dense configs).</summary>
    public ModelFolder Folder { get; }

    /// <summary>The tokenizer (from tokenizer.json).</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The transformer (first module).</summary>
    public ITransformer Transformer { get; }

    /// <summary>Pooling configuration.</summary>
    public PoolingConfig Pooling { get; }

    /// <summary>Dense modules after pooling.</summary>
    public IReadOnlyList<DenseModule> Dense => dense;

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
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Total parameter count (transformer + dense).</summary>
    public long ParameterCount => Parameters.Sum(p => (long)p.Length);

    /// <summary>The id padding is filled with (the tokenizer's pad token, else config.json's pad_token_id).</summary>
    public int PadId { get; }

    /// <summary>
    /// Loads a model folder, merging the PEFT LoRA adapter folders in <paramref name="adapters"/> into its weights in
    /// order (LLM2Vec's MNTP adapter, then a supervised one). Errors are <see cref="ModelFormatException"/> or
    /// <see cref="TokenizerException"/>.
    /// </summary>
    public static SentenceEncoder Load(string path, IReadOnlyList<string>? adapters = null)
    {
        var folder = ModelFolder.Read(path);
        var tokenizer = folder.LoadTokenizer();
        ITransformer encoder = folder.IsStatic
            ? StaticEmbeddingModel.Load(folder.TransformerPath)
            : ArchitectureRegistry.Load(folder.TransformerPath);
        foreach (var adapter in adapters ?? []) PeftAdapters.Merge(adapter, encoder.Parameters);
        var pooling = folder.Pooling ?? new PoolingConfig(encoder.HiddenSize, PoolingMode.Mean);
        if (pooling.Dimension != encoder.HiddenSize)
            throw new ModelFormatException(
                $"{path}: Pooling word_embedding_dimension {pooling.Dimension} differs from the transformer's hidden_size {encoder.HiddenSize}");
        var dense = folder.DensePaths.Select(DenseModule.Load).ToArray();
        int width = pooling.OutputDimension;
        foreach (var (d, p) in dense.Zip(folder.DensePaths))
        {
            if (d.InFeatures != width)
                throw new ModelFormatException($"{p}: in_features {d.InFeatures} does not match the {width} values coming in");
            width = d.OutFeatures;
        }
        int max = folder.MaxSeqLength ?? folder.TokenizerMaxLength() ?? encoder.MaxSequenceLength;
        return new SentenceEncoder(folder, tokenizer, encoder, pooling, dense, Math.Min(max, encoder.MaxSequenceLength));
    }

    /// <summary>Embeds one text.</summary>
    public float[] Encode(string text, EncodeOptions? options = null) => Encode([text], options)[0];

    /// <summary>Embeds texts; result i belongs to text i.</summary>
    public float[][] Encode(IReadOnlyList<string> texts, EncodeOptions? options = null)
    {
        options ??= new EncodeOptions();
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        var (encodings, promptLength) = TokenizeWithPrompt(texts, options);
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => encodings[i].Ids.Length).ToArray();
        var result = new float[texts.Count][];
        bool normalize = Folder.Normalize || options.Normalize;
        for (int start = 0; start < order.Length; start += options.BatchSize)
        {
            int b = Math.Min(options.BatchSize, order.Length - start);
            var batch = new Encoding[b];
            for (int i = 0; i < b; i++) batch[i] = encodings[order[start + i]];
            lock (gate)
            {
                inference.Reset();
                var y = Forward(inference, TokenBatch.Pad(batch, PadId), promptLength, normalize);
                for (int i = 0; i < b; i++) result[order[start + i]] = y.Span.Slice(i * y.Cols, y.Cols).ToArray();
            }
            options.Progress?.Invoke(start + b, order.Length);
        }
        return result;
    }

    /// <summary>
    /// The whole chain over one padded batch on <paramref name="tape"/>: transformer → pooling → dense → normalize
    /// (when the folder has a Normalize module or <paramref name="normalize"/>): embeddings [B, <see cref="Dimension"/>].
    /// <paramref name="promptLength"/> tokens are left out of pooling when the Pooling module says include_prompt = false.
    /// </summary>
    public Variable Forward(Tape tape, TokenBatch tokens, int promptLength = 0, bool normalize = false)
    {
        var hidden = Transformer.Forward(tape, tokens); // [B·T, C]
        var y = Modules.Pooling.Forward(tape, hidden, tokens.Mask, tokens.Batch, tokens.Seq, Pooling, promptLength); // [B, k·C]
        foreach (var d in dense) y = d.Forward(tape, y);
        return Folder.Normalize || normalize ? Ops.Normalize(tape, y) : y;
    }

    /// <summary>The transformer's token states [B·T, C] for <paramref name="tokens"/> (inference), copied to <paramref name="hidden"/>.</summary>
    public void TokenStates(TokenBatch tokens, Span<float> hidden)
    {
        lock (gate)
        {
            inference.Reset();
            Transformer.Forward(inference, tokens).Span.CopyTo(hidden);
        }
    }

    /// <summary>
    /// The token ids the model sees for each text: prompt prepended, text stripped (and lower-cased when the model
    /// says so), special tokens added, truncated to the maximum length — as sentence-transformers' tokenize does.
    /// </summary>
    public IReadOnlyList<Encoding> Tokenize(IReadOnlyList<string> texts, EncodeOptions? options = null) =>
        TokenizeWithPrompt(texts, options ?? new EncodeOptions()).Encodings;

    private (IReadOnlyList<Encoding> Encodings, int PromptLength) TokenizeWithPrompt(IReadOnlyList<string> texts, EncodeOptions options)
    {
        string? prompt = ResolvePrompt(options);
        int maxLength = Math.Min(options.MaxLength ?? MaxSeqLength, Transformer.MaxSequenceLength);
        var prepared = new string[texts.Count];
        for (int i = 0; i < texts.Count; i++)
            prepared[i] = Folder.PrepareText((prompt ?? "") + (texts[i] ?? throw new ArgumentException($"text {i} is null")));
        // With include_prompt = false the prompt's tokens (and the leading special token) leave the pooling mask;
        // sentence-transformers counts them as the prompt's encoding minus its trailing special token.
        int promptLength = prompt is not null && !Pooling.IncludePrompt
            ? Tokenizer.Encode(Folder.PrepareText(prompt), true, maxLength).Ids.Length - 1
            : 0;
        // StaticEmbedding tokenizes the raw text without special tokens (sentence-transformers' StaticEmbedding.tokenize).
        return (Tokenizer.EncodeBatch(prepared, !Folder.IsStatic, maxLength), promptLength);
    }

    /// <summary>The model's similarity of two embeddings.</summary>
    public float Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => Similarities.Compute(SimilarityFunction, a, b);

    /// <summary>Similarity matrix [a.Count, b.Count].</summary>
    public float[,] Similarity(IReadOnlyList<float[]> a, IReadOnlyList<float[]> b)
    {
        var m = new float[a.Count, b.Count];
        for (int i = 0; i < a.Count; i++)
        {
            for (int j = 0; j < b.Count; j++) m[i, j] = Similarity(a[i], b[j]);
        }
        return m;
    }

    private string? ResolvePrompt(EncodeOptions options)
    {
        if (options.Prompt is not null) return options.Prompt;
        string? name = options.PromptName ?? Folder.DefaultPromptName;
        if (name is null) return null;
        if (!Folder.Prompts.TryGetValue(name, out var p))
        {
            string known = Folder.Prompts.Count == 0 ? "the model defines no prompts" : "known: " + string.Join(", ", Folder.Prompts.Keys);
            throw new ModelFormatException($"{Folder.Path}: no prompt named \"{name}\" ({known})");
        }
        return p;
    }
}
