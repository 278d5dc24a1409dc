using System.Globalization;
using System.Numerics.Tensors;
using Skald.Models;
using Skald.Models.LateInteraction;
using Skald.Models.Modules;

namespace Skald.Retrieval.Models;

/// <summary>
/// A late-interaction model (<see cref="IMultiVectorEncoder"/>: ColBERT) as an index's model: <see cref="Encode"/> gives
/// a text's token vectors, which an index stores per row and scores by exact MaxSim (<see cref="Index.SearchIndex.SearchTokens"/>);
/// <see cref="Embed(IReadOnlyList{string}, TextRole)"/> gives each text one vector, the mean of its token vectors at unit
/// length (<see cref="Pool"/>), which the index keeps beside the token vectors as its plain dense rows. Build, open and
/// search an index with it through <see cref="Index.TextIndex"/> or <see cref="Index.IndexBuilder"/> as with a
/// single-vector model.
/// <code>
/// using var model = MultiVectorEmbeddingModel.Load("models/colbert");
/// TextIndex.Build("idx", model, [TextIndex.Record("a", "Bergen ligger på Vestlandet.")]);
/// using var index = TextIndex.Open("idx", model);
/// var hits = TextIndex.Search(index, model, "Hvor ligger Bergen?");
/// </code>
/// </summary>
public sealed class MultiVectorEmbeddingModel : IEmbeddingModel, IDisposable
{
    private bool ownsEncoder;

    /// <summary>Wraps <paramref name="encoder"/> (not disposed with this model), encoding <paramref name="batchSize"/> texts per forward pass.</summary>
    public MultiVectorEmbeddingModel(IMultiVectorEncoder encoder, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Encoder = encoder;
        BatchSize = batchSize;
        Name = ModelNames.Of(encoder.Source);
        Metadata = new Dictionary<string, string>
        {
            ["path"] = Path.GetFullPath(encoder.Source),
            ["kind"] = encoder.Kind,
            ["dimension"] = encoder.Dimension.ToString(CultureInfo.InvariantCulture),
            ["scoring"] = "maxsim",
        };
    }

    /// <summary>
    /// Loads the late-interaction folder (or hub id) at <paramref name="path"/>: a PyLate ColBERT folder
    /// (<see cref="ColbertEncoder.IsColbert"/>), documents' vectors pooled by <paramref name="poolFactor"/> (<see cref="PoolFactor"/>);
    /// the encoder is this model's, disposed with it. Any other folder is a
    /// <see cref="ModelFormatException"/> naming it.
    /// </summary>
    public static MultiVectorEmbeddingModel Load(string path, int batchSize = 32, int poolFactor = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(poolFactor, 1);
        var encoder = ColbertEncoder.Load(path);
        try
        {
            return new MultiVectorEmbeddingModel(encoder, batchSize) { ownsEncoder = true, PoolFactor = poolFactor };
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// This model with its documents already encoded (by the ranks of an mpirun job, each its shard): <see cref="Encode"/>
    /// gives document <paramref name="texts"/>' <paramref name="vectors"/> (pooled already) in this order, once, and
    /// encodes queries as before; the encoder stays this model's.
    /// </summary>
    public MultiVectorEmbeddingModel WithDocuments(IReadOnlyList<string> texts, IReadOnlyList<TokenVectors> vectors) =>
        new(Encoder, BatchSize) { PoolFactor = PoolFactor, encoded = new PrecomputedDocuments<TokenVectors>(texts, vectors) };

    private PrecomputedDocuments<TokenVectors>? encoded;

    /// <summary>Whether the folder at <paramref name="path"/> holds a late-interaction model <see cref="Load"/> reads.</summary>
    public static bool IsMultiVector(string path) => ColbertEncoder.IsColbert(path);

    /// <summary>The wrapped encoder.</summary>
    public IMultiVectorEncoder Encoder { get; }

    /// <summary>Texts per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>The folder the model was loaded from (recorded by an index).</summary>
    public string ModelPath => Encoder.Source;

    /// <summary>The kind of token vectors (<see cref="IMultiVectorEncoder.Kind"/>).</summary>
    public string Kind => Encoder.Kind;

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <inheritdoc/>
    public int Dimension => Encoder.Dimension;

    /// <summary>Cosine: the pooled vectors are at unit length, as the token vectors are.</summary>
    public SimilarityFunction Similarity => SimilarityFunction.Cosine;

    /// <summary>
    /// PyLate's <c>pool_factor</c>: documents' token vectors are pooled to about 1/N of them (<see cref="TokenPooling"/>;
    /// queries never are). 1 (default): not pooled. An index records it, and rows added to it must be pooled alike.
    /// </summary>
    public int PoolFactor
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            field = value;
        }
    } = 1;

    /// <summary>
    /// The texts' token vectors in <paramref name="role"/> (a query's with its expansion tokens, a document's without its
    /// skiplist's, pooled by <see cref="PoolFactor"/>).
    /// </summary>
    public TokenVectors[] Encode(IReadOnlyList<string> texts, TextRole role, CancellationToken cancellationToken = default)
    {
        if (role == TextRole.Query) return Encoder.EncodeQueries(texts, BatchSize, cancellationToken);
        if (encoded is not null) return encoded.Next(texts);
        var documents = Encoder.EncodeDocuments(texts, BatchSize, cancellationToken);
        if (PoolFactor > 1)
        {
            for (int i = 0; i < documents.Length; i++) documents[i] = TokenPooling.Pool(documents[i], PoolFactor);
        }
        return documents;
    }

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, TextRole role) => Embed(texts, role, CancellationToken.None);

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, TextRole role, CancellationToken cancellationToken) =>
        [.. Encode(texts, role, cancellationToken).Select(Pool)];

    /// <summary>The mean of <paramref name="tokens"/>' vectors at unit length (zeros for a text without token vectors).</summary>
    public static float[] Pool(TokenVectors tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var mean = new float[tokens.Dimension];
        for (int t = 0; t < tokens.Count; t++) TensorPrimitives.Add(mean, tokens.Row(t), mean);
        float norm = TensorPrimitives.Norm(mean);
        if (norm > 0) TensorPrimitives.Divide(mean, norm, mean);
        return mean;
    }

    /// <summary>Pieces of <paramref name="text"/> that each fit the document length (queries are cut to theirs by the model).</summary>
    public IReadOnlyList<string> SplitToFit(string text, TextRole role) =>
        RoleEncoding.SplitToFit(Encoder.Tokenizer, null, Math.Max(1, Encoder.DocumentTokens - 1), text); // one token is the prefix's

    /// <summary>Disposes the encoder when this model loaded it (<see cref="Load"/>).</summary>
    public void Dispose()
    {
        if (ownsEncoder && Encoder is IDisposable d) d.Dispose();
    }
}
