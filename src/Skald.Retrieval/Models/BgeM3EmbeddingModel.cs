using System.Globalization;
using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Models.Modules;

namespace Skald.Retrieval.Models;

/// <summary>
/// BGE-M3 (<see cref="BgeM3Encoder"/>) as an index's model: <see cref="Encode"/> gives the <see cref="Outputs"/> an index
/// stores of each text, all from one transformer pass; <see cref="Embed(IReadOnlyList{string}, TextRole)"/> gives the
/// dense vector (M3's dense output is a normal embedding). Build, open and search an index with it through
/// <see cref="Index.TextIndex"/> or <see cref="Index.IndexBuilder"/> as with any model; the index keeps the dense rows,
/// the lexical weights and the ColBERT vectors it was asked for (<see cref="Index.BgeM3Storage"/>) and a search combines
/// them (<see cref="Index.SearchIndex.SearchBgeM3"/>). Texts get no prompt (BGE-M3 is used without), as
/// <see cref="Search.BgeM3Retriever"/>'s defaults, and are cut to the folder's max_seq_length.
/// <code>
/// using var m3 = BgeM3EmbeddingModel.Load("models/bge-m3");                    // dense, sparse and colbert
/// TextIndex.Build("idx", m3, [TextIndex.Record("a", "Bergen ligger på Vestlandet.")]);
/// using var index = TextIndex.Open("idx", m3);
/// var hits = TextIndex.Search(index, m3, "Hvor ligger Bergen?", new BgeM3Weights(0.4f, 0.2f, 0.4f));
/// </code>
/// </summary>
public sealed class BgeM3EmbeddingModel : IEmbeddingModel, IDisposable
{
    private readonly EncodeOptions options;
    private bool ownsEncoder;

    /// <summary>
    /// Wraps <paramref name="encoder"/> (not disposed with this model): an index built with it stores
    /// <paramref name="outputs"/>; <paramref name="batchSize"/> texts a forward pass.
    /// </summary>
    public BgeM3EmbeddingModel(BgeM3Encoder encoder, BgeM3Outputs outputs = BgeM3Outputs.All, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (outputs == 0 || (outputs & ~BgeM3Outputs.All) != 0) throw new ArgumentOutOfRangeException(nameof(outputs), "store one or more of Dense, Sparse and Colbert");
        Encoder = encoder;
        Outputs = outputs;
        BatchSize = batchSize;
        options = new EncodeOptions { BatchSize = batchSize, Prompt = null, PromptName = null };
        Name = ModelNames.Of(encoder.Source);
        Metadata = new Dictionary<string, string>
        {
            ["path"] = Path.GetFullPath(encoder.Source),
            ["dimension"] = encoder.Dimension.ToString(CultureInfo.InvariantCulture),
            ["colbert_dimension"] = encoder.ColbertDimension.ToString(CultureInfo.InvariantCulture),
            ["outputs"] = string.Join(",", Index.BgeM3Storage.Names(outputs)),
            ["scoring"] = "bge-m3",
        };
    }

    /// <summary>Loads the BGE-M3 folder (or hub id) at <paramref name="path"/> (<see cref="BgeM3Encoder.Load"/>); the encoder is this model's, disposed with it.</summary>
    public static BgeM3EmbeddingModel Load(string path, BgeM3Outputs outputs = BgeM3Outputs.All, int batchSize = 32)
    {
        var encoder = BgeM3Encoder.Load(path);
        try
        {
            return new BgeM3EmbeddingModel(encoder, outputs, batchSize) { ownsEncoder = true };
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// This model with its documents already encoded (by the ranks of an mpirun job, each its shard): <see cref="Encode"/>
    /// gives document <paramref name="texts"/>' <paramref name="outputs"/> (<see cref="Outputs"/> each) in this order,
    /// once, and encodes queries as before; the encoder stays this model's.
    /// </summary>
    public BgeM3EmbeddingModel WithDocuments(IReadOnlyList<string> texts, IReadOnlyList<BgeM3Output> outputs) =>
        new(Encoder, Outputs, BatchSize) { documents = new PrecomputedDocuments<BgeM3Output>(texts, outputs) };

    private PrecomputedDocuments<BgeM3Output>? documents;

    /// <summary>Whether the folder at <paramref name="path"/> is a BGE-M3 folder (<see cref="BgeM3Encoder.IsBgeM3"/>).</summary>
    public static bool IsBgeM3(string path) => BgeM3Encoder.IsBgeM3(path);

    /// <summary>The wrapped encoder.</summary>
    public BgeM3Encoder Encoder { get; }

    /// <summary>The outputs an index built with this model stores.</summary>
    public BgeM3Outputs Outputs { get; }

    /// <summary>Texts per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>The folder the model was loaded from (recorded by an index).</summary>
    public string ModelPath => Encoder.Source;

    /// <summary>Tokens the model reads of a text (max_seq_length, special tokens included).</summary>
    public int MaxTokens => Encoder.DenseModel.MaxSeqLength;

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Width of the dense vector.</summary>
    public int Dimension => Encoder.Dimension;

    /// <summary>Cosine: the dense vectors are at unit length.</summary>
    public SimilarityFunction Similarity => SimilarityFunction.Cosine;

    /// <summary>
    /// The texts' BGE-M3 outputs (<paramref name="outputs"/>, default <see cref="Outputs"/>), one pass per batch; queries
    /// and documents are encoded alike (<paramref name="role"/> changes nothing: BGE-M3 has no prompts or query side).
    /// </summary>
    public BgeM3Output[] Encode(IReadOnlyList<string> texts, TextRole role, BgeM3Outputs? outputs = null, CancellationToken cancellationToken = default) =>
        documents is not null && role == TextRole.Document
            ? (outputs ?? Outputs) == Outputs ? documents.Next(texts) : throw new InvalidOperationException("the documents were encoded with this model's outputs only")
            : Encoder.Encode(texts, options, outputs ?? Outputs, cancellationToken);

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, TextRole role) => Embed(texts, role, CancellationToken.None);

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, TextRole role, CancellationToken cancellationToken) =>
        [.. Encode(texts, role, BgeM3Outputs.Dense, cancellationToken).Select(o => o.Dense!)];

    /// <inheritdoc/>
    public IReadOnlyList<string> SplitToFit(string text, TextRole role) =>
        RoleEncoding.SplitToFit(Encoder.Tokenizer, null, MaxTokens, text);

    /// <summary>Disposes the encoder when this model loaded it (<see cref="Load"/>).</summary>
    public void Dispose()
    {
        if (ownsEncoder) Encoder.Dispose();
    }
}
