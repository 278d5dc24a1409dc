using System.Globalization;
using Skald.Models;
using Skald.Models.Modules;

namespace Skald.Retrieval.Models;

/// <summary>
/// A <see cref="SentenceEncoder"/> as the <see cref="IEmbeddingModel"/> an index is built, added to and searched with
/// (<see cref="Index.IndexBuilder"/>, <see cref="Index.SearchIndex"/>) from a program that references Skald.Retrieval
/// alone: queries and documents get the model's prompts by name (config_sentence_transformers.json's <c>prompts</c>),
/// by default as <c>skald index build</c> and <c>skald search</c> give them (<see cref="RolePrompts"/>), so that such
/// an index holds the rows the CLI would write and the CLI can search it. Disposing it disposes the encoder when it
/// loaded it (<see cref="Load"/>); an encoder passed to the constructor stays the caller's.
/// </summary>
public sealed class EncoderEmbeddingModel : IEmbeddingModel, IDisposable
{
    private readonly string? queryPrompt, documentPrompt;
    private readonly Dictionary<string, string> metadata;
    private bool ownsEncoder;

    /// <summary>
    /// Wraps <paramref name="encoder"/>. <paramref name="queryPromptName"/> and <paramref name="documentPromptName"/>
    /// name the model's prompts for queries and documents: null takes the usual one (<c>query</c>; <c>document</c>,
    /// else <c>passage</c>; none when the model has no such prompt), "" none at all. A name the model does not define
    /// throws <see cref="ArgumentException"/> naming it and the model's prompts.
    /// </summary>
    public EncoderEmbeddingModel(SentenceEncoder encoder, string? queryPromptName = null, string? documentPromptName = null, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Encoder = encoder;
        BatchSize = batchSize;
        queryPrompt = Prompt(encoder, queryPromptName, TextRole.Query, nameof(queryPromptName));
        documentPrompt = Prompt(encoder, documentPromptName, TextRole.Document, nameof(documentPromptName));
        Name = ModelNames.Of(encoder.Source);
        metadata = new Dictionary<string, string>
        {
            ["path"] = Path.GetFullPath(encoder.Source),
            ["dimension"] = encoder.Dimension.ToString(CultureInfo.InvariantCulture),
            ["max_seq_length"] = encoder.MaxSeqLength.ToString(CultureInfo.InvariantCulture),
            ["similarity"] = Similarities.Name(encoder.SimilarityFunction),
            ["query_prompt"] = queryPrompt ?? "",
            ["document_prompt"] = documentPrompt ?? "",
        };
    }

    /// <summary>
    /// Loads the model folder (or hub id) at <paramref name="path"/>, with prompts as the constructor takes them; the
    /// encoder is this model's, disposed with it.
    /// </summary>
    public static EncoderEmbeddingModel Load(string path, string? queryPromptName = null, string? documentPromptName = null)
    {
        var encoder = SentenceEncoder.Load(path);
        try
        {
            return new EncoderEmbeddingModel(encoder, queryPromptName, documentPromptName) { ownsEncoder = true };
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>The wrapped encoder.</summary>
    public SentenceEncoder Encoder { get; }

    /// <summary>Texts a forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>
    /// The model folder the encoder was loaded from (<see cref="SentenceEncoder.Source"/>: an adapter folder given as the
    /// model, not its base): what <see cref="Index.IndexBuilder.Build"/> records as the index's model.
    /// </summary>
    public string ModelPath => Encoder.Source;

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => metadata;

    /// <inheritdoc/>
    public int Dimension => Encoder.Dimension;

    /// <inheritdoc/>
    public SimilarityFunction Similarity => Encoder.SimilarityFunction;

    /// <inheritdoc/>
    public bool IsSparse => Encoder.IsSparse;

    /// <summary>The prompt texts of a role get (null: none).</summary>
    public string? PromptFor(TextRole role) => role switch
    {
        TextRole.Query => queryPrompt,
        TextRole.Document => documentPrompt,
        _ => null,
    };

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, TextRole role) => Embed(texts, role, CancellationToken.None);

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<string> texts, TextRole role, CancellationToken cancellationToken) =>
        Encoder.Encode(texts, RoleEncoding.Options(Encoder, role, PromptFor(role)) with { BatchSize = BatchSize }, cancellationToken);

    /// <summary>One query's vector, to pass to <see cref="Index.SearchIndex.Search"/>.</summary>
    public float[] EmbedQuery(string query) => Embed([query], TextRole.Query)[0];

    /// <inheritdoc/>
    public IReadOnlyList<string> SplitToFit(string text, TextRole role) =>
        RoleEncoding.SplitToFit(Encoder.Tokenizer, PromptFor(role), Encoder.MaxSeqLength, text);

    /// <summary>Disposes the encoder when this model loaded it (<see cref="Load"/>); one passed in is left alone.</summary>
    public void Dispose()
    {
        if (ownsEncoder) Encoder.Dispose();
    }

    private static string? Prompt(SentenceEncoder encoder, string? name, TextRole role, string parameter)
    {
        var prompts = encoder.Folder.Prompts;
        if (name is null) return RolePrompts.For(prompts, role);
        if (name.Length == 0) return null;
        if (prompts.TryGetValue(name, out var prompt)) return prompt;
        string known = prompts.Count == 0 ? "the model defines no prompts" : "known: " + string.Join(", ", prompts.Keys);
        throw new ArgumentException($"{encoder.Folder.Path}: no prompt named \"{name}\" ({known})", parameter);
    }
}
