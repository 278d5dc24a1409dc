using Skald.Models.Architectures;
using Skald.Models.MaskedLm;
using Skald.Models.Modules;
using Skald.Tensors.Autograd;

namespace Skald.Models;

/// <summary>A sparse (SPLADE) encoder: sentence-transformers' SparseEncoder, MLMTransformer → SpladePooling.</summary>
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// The masked-LM head of a sparse encoder (<see cref="ModelFolder.Splade"/>): its logits over the vocabulary,
    /// pooled by SpladePooling, are the embedding (<see cref="Dimension"/> = the vocabulary size); null for dense models.
    /// </summary>
    public MaskedLmHead? SpladeHead { get; }

    /// <summary>
    /// An inference-free sparse encoder's query side (a Router's SparseStaticEmbedding): texts on the "query" route are
    /// embedded by it, with no transformer; null otherwise.
    /// </summary>
    public SparseStaticEmbedding? StaticQuery
    {
        get => staticQuery;
        private set
        {
            staticQuery = value;
            if (value is { Frozen: false }) Parameters = [.. Parameters.Where(p => p != value.Weight), value.Weight]; // trained with the rest
        }
    }

    private SparseStaticEmbedding? staticQuery;

    /// <summary>
    /// Makes this sparse encoder inference-free, as sentence-transformers' Router.for_query_document with a
    /// SparseStaticEmbedding query route (<c>query_0_SparseStaticEmbedding</c>): texts on the "query" route are embedded
    /// by a weight per vocabulary entry, all 1 to start (SparseStaticEmbedding's default, to be trained), documents by the
    /// transformer as before; the model then saves as a Router folder.
    /// </summary>
    public void AddStaticQuery()
    {
        if (!IsSparse) throw new ModelFormatException($"{Folder.Path}: an inference-free query route needs a sparse encoder (model.type: splade)");
        if (StaticQuery is not null || Folder.DefaultRoute is not null) throw new ModelFormatException($"{Folder.Path}: already a Router");
        Folder = Folder with { DefaultRoute = "document" };
        StaticQuery = SparseStaticEmbedding.Create("query_0_SparseStaticEmbedding/weight", Dimension, Tokenizer, Folder.TokenizerMaxLength() ?? MaxSeqLength);
    }

    /// <summary>
    /// Whether this is a sparse encoder: SPLADE (embeddings over the vocabulary) or CSR (<see cref="AutoEncoder"/>: k of
    /// its latents), mostly zeros.
    /// </summary>
    public bool IsSparse => SpladeHead is not null || AutoEncoder is not null;

    /// <summary>
    /// This model as a sparse encoder pooling with <paramref name="splade"/>: the same transformer (shared, as
    /// <see cref="WithAttention"/> shares it) under its architecture's masked-LM head, read from the checkpoint when it
    /// has one and otherwise initialised from <paramref name="seed"/> as transformers does (a model to train, as
    /// sentence-transformers' SparseEncoder makes of a plain checkpoint). Its folder saves as a SparseEncoder folder.
    /// </summary>
    public SentenceEncoder AsSparse(SpladeConfig splade, ulong seed = 42)
    {
        ArgumentNullException.ThrowIfNull(splade);
        ThrowIfDisposed();
        if (Folder.IsStatic || Folder.Llm2Vec is not null || dense.Length > 0 || queryDense.Length > 0 || AutoEncoder is not null)
            throw new ModelFormatException($"{Folder.Path}: a sparse encoder is an MLMTransformer with SpladePooling; this folder's chain has other modules");
        var folder = Folder with { Splade = splade, Pooling = null, Normalize = false, Similarity = SimilarityFunction.Dot, IsSentenceTransformers = true };
        return ShareLifetime(Create(folder, Tokenizer, Transformer, newSpladeHead: true, seed));
    }

    /// <summary>
    /// The sparse embeddings of <paramref name="texts"/>: each text's non-zero vocabulary entries (<see cref="Encode(IReadOnlyList{string}, EncodeOptions?)"/>,
    /// kept sparse, throwing as it throws). A dense model is a <see cref="ModelFormatException"/>, a <paramref name="maxActiveDims"/>
    /// below 1 an <see cref="ArgumentOutOfRangeException"/> naming it.
    /// </summary>
    public SparseEmbedding[] EncodeSparse(IReadOnlyList<string> texts, EncodeOptions? options = null, int? maxActiveDims = null)
    {
        if (!IsSparse) throw new ModelFormatException($"{Folder.Path}: not a sparse encoder (no SpladePooling or SparseAutoEncoder module)");
        if (maxActiveDims is < 1) throw new ArgumentOutOfRangeException(nameof(maxActiveDims), $"max_active_dims must be at least 1, got {maxActiveDims}");
        options = (options ?? new EncodeOptions()) with { MaxActiveDims = maxActiveDims ?? options?.MaxActiveDims }; // a CSR model keeps that many latents
        return [.. Encode(texts, options).Select(e => SparseEmbedding.FromDense(e, maxActiveDims))];
    }

    /// <summary>
    /// The vocabulary entries of a SPLADE embedding as (token, weight), heaviest first (equal weights by the lower id),
    /// all of them or the <paramref name="topK"/> heaviest: sentence-transformers' <c>SparseEncoder.decode</c>, the
    /// tokens as the tokenizer spells them (<c>convert_ids_to_tokens</c>, e.g. <c>##hand</c>). A dense or CSR model (whose
    /// entries are latents, not words) is a <see cref="ModelFormatException"/>, an index outside the vocabulary an
    /// <see cref="ArgumentException"/> naming <paramref name="embedding"/>, a <paramref name="topK"/> below 1 an
    /// <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public (string Token, float Weight)[] Decode(SparseEmbedding embedding, int? topK = null)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        if (topK is < 1) throw new ArgumentOutOfRangeException(nameof(topK), $"top_k must be at least 1, got {topK}");
        if (SpladeHead is null)
            throw new ModelFormatException(AutoEncoder is null
                ? $"{Folder.Path}: not a sparse encoder (no SpladePooling module), so its embeddings are not over the vocabulary"
                : $"{Folder.Path}: a CSR model's sparse entries are latents of its SparseAutoEncoder, not vocabulary entries, so they have no tokens");
        ThrowIfDisposed();
        if (embedding.Indices.Length != embedding.Values.Length)
            throw new ArgumentException($"{embedding.Indices.Length} indices but {embedding.Values.Length} values", nameof(embedding));
        var order = new int[embedding.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var values = embedding.Values;
        var indices = embedding.Indices;
        Array.Sort(order, (x, y) => values[y].CompareTo(values[x]) is var c && c != 0 ? c : indices[x].CompareTo(indices[y]));
        int n = Math.Min(order.Length, topK ?? order.Length);
        var decoded = new (string Token, float Weight)[n];
        for (int i = 0; i < n; i++)
        {
            int id = indices[order[i]];
            string token = Tokenizer.IdToToken(id)
                ?? throw new ArgumentException($"entry {id} is not in the vocabulary of {Folder.Path} ({Dimension} entries)", nameof(embedding));
            decoded[i] = (token, values[order[i]]);
        }
        return decoded;
    }

    /// <summary>
    /// <see cref="Decode(SparseEmbedding, int?)"/> of each embedding (sentence-transformers' <c>decode</c> of a batch).
    /// </summary>
    public (string Token, float Weight)[][] Decode(IReadOnlyList<SparseEmbedding> embeddings, int? topK = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        var decoded = new (string Token, float Weight)[embeddings.Count][];
        for (int i = 0; i < decoded.Length; i++)
            decoded[i] = Decode(embeddings[i] ?? throw new ArgumentException($"embedding {i} is null", nameof(embeddings)), topK);
        return decoded;
    }

    private static MaskedLmHead LoadSpladeHead(ModelFolder folder, SpladeConfig splade, ITransformer encoder, bool initialise, ulong seed)
    {
        MaskedLmHead head;
        try
        {
            head = MaskedLmHead.For(encoder, folder.TransformerPath, seed, "a sparse encoder (SpladePooling)");
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(e.Message);
        }
        if (!head.FromCheckpoint && !initialise)
            throw new ModelFormatException(
                $"{folder.TransformerPath}: the checkpoint has no masked-LM head ({head.Layout.Architecture}'s), which a sparse encoder's MLMTransformer needs");
        if (head.SoftCap > 0f || head.PredictsNextToken)
            throw new ModelFormatException(
                $"{folder.TransformerPath}: a sparse encoder over {head.Layout.Architecture} is not there yet: its logits are soft-capped to 30·sigmoid(z/7.5), all positive, so SPLADE's relu would keep every vocabulary entry; BERT, XLM-R/RoBERTa, ModernBERT and NorBERT3 heads work");
        int vocab = head.Decoder.Shape[0];
        if (splade.Dimension is { } d && d != vocab)
            throw new ModelFormatException($"{folder.Path}: SpladePooling word_embedding_dimension {d} differs from the vocabulary size {vocab}");
        return head;
    }

    /// <summary>
    /// hidden [B·T, C] → the head over the real tokens only → SpladePooling → [B, V]. Padding rows never reach the head:
    /// the rows are gathered first, each with its text.
    /// </summary>
    private Variable SpladeForward(Tape tape, Variable hidden, TokenBatch tokens)
    {
        var head = SpladeHead!;
        var splade = Folder.Splade!;
        int count = 0;
        foreach (int m in tokens.Mask) count += m != 0 ? 1 : 0;
        // the tape's until its Reset (the backward that reads them runs before it), so a warm pass allocates neither
        var rows = tape.Ints(count);
        var owner = tape.Ints(count);
        for (int i = 0, k = 0; i < tokens.Mask.Length; i++)
        {
            if (tokens.Mask[i] == 0) continue;
            rows[k] = i;
            owner[k++] = i / tokens.Seq;
        }
        var h = head.Transform(tape, Ops.SelectRows(tape, hidden, rows)); // [m, C]
        return Ops.SpladePooling(tape, h, owner, tokens.Batch, head.Decoder, head.DecoderBias, splade.Activation, splade.Strategy, head.ExcludedIds);
    }
}
