using System.Numerics.Tensors;
using Skald.Models.Architectures;
using Skald.Models.CrossEncoders;
using Skald.Models.LateInteraction;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Skald.Tokenizers;

namespace Skald.Models.BgeM3;

/// <summary>
/// BGE-M3 (BAAI/bge-m3): one multilingual XLM-R pass gives three outputs, as FlagEmbedding's <c>BGEM3FlagModel</c>
/// gives them: the dense vector, the lexical weights (a <see cref="SparseEmbedding"/> keyed by token id) and the
/// ColBERT vectors (<see cref="TokenVectors"/>). The folder is the hub's: a sentence-transformers folder (XLM-R, Pooling
/// cls, Normalize), which <see cref="SentenceEncoder.Load(string, IReadOnlyList{string}?, WeightPrecision)"/> still
/// loads for the dense vector alone, plus <c>sparse_linear.pt</c> and <c>colbert_linear.pt</c> at its root.
/// <code>
/// using var m3 = BgeM3Encoder.Load("models/bge-m3");
/// var o = m3.Encode(["Hvor ligger Bergen?", "Bergen ligger på Vestlandet."]);
/// float s = BgeM3Encoder.Score(o[0], o[1], new BgeM3Weights(0.4f, 0.2f, 0.4f));
/// </code>
/// Encoding may be called from several threads at once (the passes take turns, as the <see cref="SentenceEncoder"/>'s do).
/// </summary>
/// <remarks>
/// From the last hidden states h_t of one pass: dense = the folder's chain (h of the first token, normalised); a token's
/// lexical weight = relu(sparse_linear(h_t)), each token id keeping its largest weight over the text, weights of 0 and
/// the ids of the tokenizer's cls, eos, pad and unk tokens left out; ColBERT vectors = colbert_linear(h_t) for every
/// token after the first, each L2-normalised. Scores: dense = q·p; lexical = Σ over the ids both hold of w_q·w_p;
/// ColBERT = the mean over the query's vectors of the best dot product with a passage vector (PyLate's and
/// <see cref="ColbertEncoder"/>'s MaxSim is the sum, not the mean). Texts are cut to the folder's max_seq_length (8192
/// for bge-m3), where FlagEmbedding cuts to 512 unless told (pass <see cref="EncodeOptions.MaxLength"/> = 512 to match it).
/// FlagEmbedding's batched compute_score pads passages with zero ColBERT vectors, so a query vector whose dots are all
/// negative scores 0 there; here (as its colbert_score on one pair) the padding plays no part.
/// Upstream (pinned): https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/inference/embedder/encoder_only/m3.py
/// and https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/finetune/embedder/encoder_only/m3/modeling.py
/// </remarks>
public sealed class BgeM3Encoder : IDisposable
{
    private static readonly string[] UnusedTokenKeys = ["cls_token", "eos_token", "pad_token", "unk_token"];

    private readonly BgeM3Heads heads;
    private readonly int[] unused; // ascending
    private readonly bool ownsDense;

    private BgeM3Encoder(SentenceEncoder dense, BgeM3Heads heads, int[] unused, bool ownsDense)
    {
        DenseModel = dense;
        this.heads = heads;
        this.unused = unused;
        this.ownsDense = ownsDense;
    }

    /// <summary>The dense model: the folder as a <see cref="SentenceEncoder"/>, whose transformer the other outputs share.</summary>
    public SentenceEncoder DenseModel { get; }

    /// <summary>The path or hub id the model was loaded from.</summary>
    public string Source => DenseModel.Source;

    /// <summary>The tokenizer (sparse ids are its ids).</summary>
    public Tokenizer Tokenizer => DenseModel.Tokenizer;

    /// <summary>Width of the dense vector.</summary>
    public int Dimension => DenseModel.Dimension;

    /// <summary>Width of a ColBERT vector (colbert_dim: the hidden size unless colbert_linear.pt says otherwise).</summary>
    public int ColbertDimension => heads.ColbertDimension;

    /// <summary>Size of the vocabulary the lexical weights are keyed over.</summary>
    public int VocabularySize => DenseModel.Transformer.Config.VocabSize;

    /// <summary>The token ids that never get a lexical weight: the tokenizer's cls, eos, pad and unk tokens.</summary>
    public IReadOnlyList<int> UnusedTokenIds => unused;

    /// <summary>
    /// Whether <paramref name="path"/> is a folder holding BGE-M3's heads (<c>sparse_linear.pt</c> or
    /// <c>colbert_linear.pt</c>) beside modules.json or config.json; <see cref="Load"/> then needs both.
    /// </summary>
    public static bool IsBgeM3(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Directory.Exists(path) && (File.Exists(Path.Combine(path, "modules.json")) || File.Exists(Path.Combine(path, "config.json")))
            && BgeM3Heads.AnyIn(path);
    }

    /// <summary>
    /// Loads a BGE-M3 folder (or hub id <c>org/name[@revision]</c>): the <see cref="SentenceEncoder"/> of the folder and
    /// its two heads. Errors are one-line <see cref="ModelFormatException"/>s naming the file (and key): a head missing,
    /// a head without its <c>weight</c> or <c>bias</c>, a head whose shape does not fit the transformer.
    /// </summary>
    public static BgeM3Encoder Load(string path, WeightPrecision precision = WeightPrecision.Float32)
    {
        ArgumentNullException.ThrowIfNull(path);
        var dense = SentenceEncoder.Load(path, null, precision);
        try
        {
            return Create(dense, ownsDense: true);
        }
        catch
        {
            dense.Dispose();
            throw;
        }
    }

    /// <summary>
    /// BGE-M3 over <paramref name="dense"/>, a <see cref="SentenceEncoder"/> already loaded from a BGE-M3 folder (a
    /// server's embedding model, say): its heads read from that folder, its transformer shared; disposing the result
    /// leaves <paramref name="dense"/> to its owner. Errors as <see cref="Load"/>'s.
    /// </summary>
    public static BgeM3Encoder Over(SentenceEncoder dense)
    {
        ArgumentNullException.ThrowIfNull(dense);
        return Create(dense, ownsDense: false);
    }

    // The heads and unused ids of the folder dense was loaded from (a tokenizer's complaint as the model's one line).
    private static BgeM3Encoder Create(SentenceEncoder dense, bool ownsDense)
    {
        string folder = dense.Folder.Path;
        if (!BgeM3Heads.AnyIn(folder))
            throw new ModelFormatException($"{folder}: not a BGE-M3 folder (no {BgeM3Heads.SparseFile} or {BgeM3Heads.ColbertFile} beside modules.json)");
        if (dense.IsSparse || dense.StaticQuery is not null || dense.QueryDense.Count > 0 || dense.Folder.Llm2Vec is not null)
            throw new ModelFormatException($"{folder}: a BGE-M3 folder is a dense sentence-transformers chain (Transformer → Pooling → Normalize) with two heads beside it; this one's chain has other modules");
        var heads = BgeM3Heads.Load(folder, dense.Transformer.HiddenSize);
        int[] unused;
        try
        {
            unused = UnusedIds(dense);
        }
        catch (TokenizerException e)
        {
            throw new ModelFormatException(e.Message);
        }
        return new BgeM3Encoder(dense, heads, unused, ownsDense);
    }

    /// <summary>
    /// The ids that get no lexical weight, ascending: the tokenizer's cls, eos, pad and unk tokens as FlagEmbedding reads
    /// them (special_tokens_map entries through convert_tokens_to_ids, an unknown one as unk); training leaves out the same.
    /// A <see cref="TokenizerException"/> for a special token that does not read.
    /// </summary>
    internal static int[] UnusedIds(SentenceEncoder dense)
    {
        var unused = new SortedSet<int>();
        foreach (string key in UnusedTokenKeys)
        {
            if (NamedPadToken.Read(dense.Folder.TransformerPath, key) is { } named
                && (dense.Tokenizer.TokenToId(named.Token) ?? dense.Tokenizer.UnknownTokenId) is int id)
                unused.Add(id);
        }
        return [.. unused];
    }

    /// <summary>
    /// The outputs of <paramref name="texts"/> (result i belongs to text i), only those in <paramref name="outputs"/>,
    /// all from one transformer pass per batch. <paramref name="options"/> gives the batch size, the max length, a
    /// prompt, progress and the truncation count as for <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/>,
    /// whose argument checks apply; <see cref="EncodeOptions.TruncateDim"/> and <see cref="EncodeOptions.MaxActiveDims"/>
    /// are refused (<see cref="ArgumentOutOfRangeException"/> naming <paramref name="options"/>).
    /// </summary>
    public BgeM3Output[] Encode(IReadOnlyList<string> texts, EncodeOptions? options = null, BgeM3Outputs outputs = BgeM3Outputs.All,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options ??= new EncodeOptions();
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1");
        if (options.TruncateDim is not null || options.MaxActiveDims is not null)
            throw new ArgumentOutOfRangeException(nameof(options), $"{DenseModel.Folder.Path}: TruncateDim and MaxActiveDims are not BGE-M3 options");
        if (outputs == 0 || (outputs & ~BgeM3Outputs.All) != 0)
            throw new ArgumentOutOfRangeException(nameof(outputs), "ask for one or more of Dense, Sparse and Colbert");
        cancellationToken.ThrowIfCancellationRequested();
        var inputs = DenseModel.Prepare(texts, options);
        options.TruncatedTexts?.Invoke(inputs.Encodings.Count(e => e.Truncated));
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => inputs.Encodings[i].Ids.Length).ToArray();
        var result = new BgeM3Output[texts.Count];
        var scratch = new Scratch(inputs.Encodings.Count == 0 ? 0 : inputs.Encodings.Max(e => e.Ids.Length));
        for (int start = 0; start < order.Length; start += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = order.AsSpan(start, Math.Min(options.BatchSize, order.Length - start)).ToArray();
            DenseModel.InferStates(inputs.Select(rows), rows,
                (tape, tokens, hidden, dense) => Read(tape, tokens, hidden, dense, rows, outputs, result, scratch), cancellationToken);
            options.Progress?.Invoke(start + rows.Length, order.Length);
        }
        return result;
    }

    // One batch's outputs into result[rows[b]], on the pass's tape: the heads over the real tokens only.
    private void Read(Tape tape, TokenBatch tokens, Variable hidden, Variable dense, int[] rows, BgeM3Outputs outputs, BgeM3Output[] result,
        Scratch scratch)
    {
        int real = 0;
        foreach (int m in tokens.Mask) real += m != 0 ? 1 : 0;
        var select = tape.Ints(real);
        for (int i = 0, k = 0; i < tokens.Mask.Length; i++)
        {
            if (tokens.Mask[i] != 0) select[k++] = i;
        }
        Variable? weights = null, vectors = null;
        if ((outputs & (BgeM3Outputs.Sparse | BgeM3Outputs.Colbert)) != 0)
        {
            var h = Ops.SelectRows(tape, hidden, select); // [real, C], text by text, each in token order
            if ((outputs & BgeM3Outputs.Sparse) != 0) weights = Ops.Linear(tape, h, heads.SparseWeight, heads.SparseBias); // [real, 1]
            if ((outputs & BgeM3Outputs.Colbert) != 0) vectors = Ops.Linear(tape, h, heads.ColbertWeight, heads.ColbertBias); // [real, D]
        }
        for (int b = 0, first = 0; b < rows.Length; b++)
        {
            int n = 0;
            for (int t = 0; t < tokens.Seq; t++) n += tokens.Mask[b * tokens.Seq + t] != 0 ? 1 : 0;
            var ids = select.AsSpan(first, n);
            result[rows[b]] = new BgeM3Output(
                (outputs & BgeM3Outputs.Dense) != 0 ? dense.Span.Slice(b * dense.Cols, dense.Cols).ToArray() : null,
                weights is null ? null : Lexical(weights.Span.Slice(first, n), ids, tokens.Ids, scratch),
                vectors is null ? null : Colbert(vectors.Span.Slice(first * vectors.Cols, n * vectors.Cols), ids, tokens.Ids, vectors.Cols));
            first += n;
        }
    }

    // relu of each token's weight; per id its largest, the unused ids and weights of 0 left out; ids ascending.
    private SparseEmbedding Lexical(ReadOnlySpan<float> weights, ReadOnlySpan<int> rows, int[] tokenIds, Scratch scratch)
    {
        int k = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            int id = tokenIds[rows[i]];
            float w = MathF.Max(weights[i], 0f);
            if (w > 0f && Array.BinarySearch(unused, id) < 0)
            {
                scratch.Ids[k] = id;
                scratch.Weights[k++] = w;
            }
        }
        Array.Sort(scratch.Ids, scratch.Weights, 0, k);
        int distinct = 0;
        for (int i = 0; i < k; i++) distinct += i == 0 || scratch.Ids[i] != scratch.Ids[i - 1] ? 1 : 0;
        var indices = new int[distinct];
        var values = new float[distinct];
        for (int i = 0, j = -1; i < k; i++)
        {
            if (j >= 0 && scratch.Ids[i] == indices[j])
            {
                values[j] = MathF.Max(values[j], scratch.Weights[i]);
                continue;
            }
            j++;
            indices[j] = scratch.Ids[i];
            values[j] = scratch.Weights[i];
        }
        return new SparseEmbedding(indices, values);
    }

    // Every token's vector after the first, each at unit length.
    private static TokenVectors Colbert(ReadOnlySpan<float> vectors, ReadOnlySpan<int> rows, int[] tokenIds, int dim)
    {
        int n = Math.Max(rows.Length - 1, 0);
        var values = vectors.Slice(Math.Min(rows.Length, 1) * dim, n * dim).ToArray();
        L2Normalize.Forward(values, values, [], n, dim);
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = tokenIds[rows[i + 1]];
        return new TokenVectors(values, ids, dim);
    }

    /// <summary>The dense score q·p (the vectors are at unit length: their cosine).</summary>
    public static float DenseScore(float[] query, float[] passage)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(passage);
        if (query.Length != passage.Length) throw new ArgumentException($"the query's vector has {query.Length} values, the passage's {passage.Length}", nameof(passage));
        return TensorPrimitives.Dot(query, passage);
    }

    /// <summary>The lexical score: Σ over the token ids both hold of w_q·w_p (FlagEmbedding's compute_lexical_matching_score).</summary>
    public static float SparseScore(SparseEmbedding query, SparseEmbedding passage) => SparseEmbedding.Dot(query, passage);

    /// <summary>
    /// The ColBERT score: the mean over the query's vectors of the largest dot product with a passage vector
    /// (<see cref="MaxSim.Score"/> over the query's count); 0 for a query without vectors.
    /// </summary>
    public static float ColbertScore(TokenVectors query, TokenVectors passage)
    {
        float sum = ColbertEncoder.Score(query, passage);
        return query.Count == 0 ? 0f : sum / query.Count;
    }

    /// <summary>
    /// The weighted combination of the three scores (<see cref="BgeM3Weights.Combine"/>; default
    /// <see cref="BgeM3Weights.Equal"/>, compute_score's). An output a non-zero weight needs but an argument lacks is an
    /// <see cref="ArgumentException"/> naming it.
    /// </summary>
    public static float Score(BgeM3Output query, BgeM3Output passage, BgeM3Weights? weights = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(passage);
        var w = weights ?? BgeM3Weights.Equal;
        w.Check();
        float dense = w.Dense == 0 ? 0f : DenseScore(Needed(query.Dense, nameof(query), "dense"), Needed(passage.Dense, nameof(passage), "dense"));
        float sparse = w.Sparse == 0 ? 0f : SparseScore(Needed(query.Sparse, nameof(query), "sparse"), Needed(passage.Sparse, nameof(passage), "sparse"));
        float colbert = w.Colbert == 0 ? 0f : ColbertScore(Needed(query.Colbert, nameof(query), "colbert"), Needed(passage.Colbert, nameof(passage), "colbert"));
        return w.Combine(dense, sparse, colbert);
    }

    private static T Needed<T>(T? value, string name, string output) where T : class =>
        value ?? throw new ArgumentException($"the {name} has no {output} output (encode it with BgeM3Outputs.{char.ToUpperInvariant(output[0])}{output[1..]})", name);

    /// <summary>
    /// <paramref name="passages"/> ordered by their combined score against <paramref name="query"/>, best first (ties in
    /// index order), the first <paramref name="topK"/> when given; only the outputs the weights need are computed.
    /// </summary>
    public IReadOnlyList<RankedDocument> Rank(string query, IReadOnlyList<string> passages, BgeM3Weights? weights = null, int? topK = null,
        EncodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(passages);
        if (topK is < 1) throw new ArgumentOutOfRangeException(nameof(topK), "topK must be at least 1");
        var w = weights ?? BgeM3Weights.Equal;
        w.Check();
        var q = Encode([query], options, w.Needed, cancellationToken)[0];
        var p = Encode(passages, options, w.Needed, cancellationToken);
        return CrossEncoder.Order([.. p.Select(d => Score(q, d, w))], topK);
    }

    /// <summary>
    /// Disposes the dense model (<see cref="SentenceEncoder.Dispose"/>) when this encoder loaded it (<see cref="Load"/>, not
    /// <see cref="Over"/>); encoding afterwards throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (ownsDense) DenseModel.Dispose();
    }

    // Per-call room for one text's (id, weight) pairs.
    private sealed class Scratch(int length)
    {
        public int[] Ids { get; } = new int[length];
        public float[] Weights { get; } = new float[length];
    }
}
