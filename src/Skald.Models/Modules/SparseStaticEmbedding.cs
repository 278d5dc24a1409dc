using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;

namespace Skald.Models.Modules;

/// <summary>
/// sentence-transformers' SparseStaticEmbedding, the query side of an inference-free sparse encoder (a Router whose
/// "query" route is this module and whose "document" route is MLMTransformer → SpladePooling): a text's embedding is
/// the weight of every vocabulary entry whose token it contains (once, however often), zero elsewhere; no transformer
/// runs. The texts are tokenized as they are, without special tokens, truncated to the tokenizer's length
/// (<c>tokenizer(texts, truncation=True, add_special_tokens=False)</c>).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/models/SparseStaticEmbedding.py
/// </remarks>
public sealed class SparseStaticEmbedding
{
    private SparseStaticEmbedding(Tokenizer tokenizer, Parameter weight, int maxLength, bool frozen)
    {
        Tokenizer = tokenizer;
        Weight = weight;
        MaxLength = maxLength;
        Frozen = frozen;
        weight.RequiresGrad = !frozen;
    }

    /// <summary>
    /// The weight of each vocabulary entry [V], named <c>{module folder}/weight</c> (<c>query_0_SparseStaticEmbedding/weight</c>)
    /// so that training's learning_rate_mapping can single it out; trained unless <see cref="Frozen"/>.
    /// </summary>
    public Parameter Weight { get; }

    /// <summary>The module's <c>frozen</c> setting (config.json): the weights do not train.</summary>
    public bool Frozen { get; }

    /// <summary>The module's tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>Tokens a text keeps (the tokenizer's model_max_length).</summary>
    public int MaxLength { get; }

    /// <summary>The weight of each vocabulary entry [V].</summary>
    public ReadOnlySpan<float> Weights => Weight.Data.Span;

    /// <summary>A module of <paramref name="dimension"/> weights all 1 (sentence-transformers' default: a new query route to train).</summary>
    public static SparseStaticEmbedding Create(string name, int dimension, Tokenizer tokenizer, int maxLength) =>
        new(tokenizer, new Parameter(name, [.. Enumerable.Repeat(1f, dimension)], [dimension], weightDecay: true), maxLength, frozen: false);

    /// <summary>
    /// Reads the module folder <paramref name="path"/> (<c>model.safetensors</c> with <c>weight</c>, its tokenizer, else
    /// <paramref name="fallback"/>); <paramref name="dimension"/> is the document side's vocabulary size, which a
    /// shorter weight vector is padded to (zeros: an IDF table that names fewer tokens); <paramref name="name"/> names
    /// the weight parameter.
    /// </summary>
    public static SparseStaticEmbedding Load(string path, int dimension, Tokenizer fallback, int maxLength, string name = "weight")
    {
        float[] w;
        using (var checkpoint = Checkpoint.OpenFolder(path))
        {
            if (!checkpoint.Contains("weight"))
                throw new ModelFormatException($"{path}: SparseStaticEmbedding's model.safetensors has no \"weight\"");
            var shape = checkpoint.Shape("weight");
            if (shape.Length != 1 || shape[0] > dimension)
                throw new ModelFormatException($"{path}: weight [{string.Join(", ", shape)}] does not fit the document side's {dimension} vocabulary entries");
            w = new float[dimension];
            checkpoint.Read("weight", shape).CopyTo(w, 0);
        }
        string tokenizerFile = Path.Combine(path, "tokenizer.json");
        var tokenizer = File.Exists(tokenizerFile) ? Tokenizer.FromFile(tokenizerFile) : fallback;
        if (tokenizer.IdBound > dimension)
            throw new ModelFormatException($"{tokenizerFile}: token ids go up to {tokenizer.IdBound - 1}, the weights cover {dimension}");
        bool frozen = false;
        string config = Path.Combine(path, "config.json");
        if (File.Exists(config))
        {
            using var doc = JsonFiles.Read(config);
            if (doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty("frozen", out var f))
                frozen = f.ValueKind switch
                {
                    System.Text.Json.JsonValueKind.True => true,
                    System.Text.Json.JsonValueKind.False => false,
                    _ => throw new ModelFormatException($"{config}: \"frozen\" must be true or false"),
                };
        }
        return new SparseStaticEmbedding(tokenizer, new Parameter(name, w, [dimension], weightDecay: true), maxLength, frozen);
    }

    /// <summary>The texts' token ids as the module reads them.</summary>
    public IReadOnlyList<Encoding> Tokenize(IReadOnlyList<string> texts) => Tokenizer.EncodeBatch(texts, addSpecialTokens: false, MaxLength);

    /// <summary>Embeddings [rows.Count, V] into <paramref name="y"/>: each text's present tokens' weights.</summary>
    public void Embed(IReadOnlyList<Encoding> rows, Span<float> y)
    {
        var weights = Weights;
        int v = weights.Length;
        y[..(rows.Count * v)].Clear();
        for (int r = 0; r < rows.Count; r++)
        {
            var row = y.Slice(r * v, v);
            foreach (int id in rows[r].Ids) row[id] = weights[id];
        }
    }
}
