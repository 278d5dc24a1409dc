namespace Skald.Models;

// SentenceEncoder, continued: EncodeQuery and EncodeDocument, sentence-transformers' encode_query / encode_document
// (sentence_transformers/SentenceTransformer.py, v5: the prompt a role takes when none is given, and the Router task).
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// Embeds search queries as sentence-transformers' <c>encode_query</c> does: unless <paramref name="options"/> gives
    /// a prompt (<see cref="EncodeOptions.Prompt"/>, <see cref="EncodeOptions.PromptName"/> or an LLM2Vec
    /// <see cref="EncodeOptions.Instruction"/>), the model's <c>query</c> prompt when it has one (an LLM2Vec model takes
    /// it as its instruction), none otherwise; a Router folder's <c>query</c> route. Otherwise as
    /// <see cref="Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/>, with the same checks.
    /// </summary>
    public float[][] EncodeQuery(IReadOnlyList<string> texts, EncodeOptions? options = null, CancellationToken cancellationToken = default) =>
        Encode(texts, ForRole("query", options), cancellationToken);

    /// <summary>
    /// Embeds documents (passages) as sentence-transformers' <c>encode_document</c> does: unless
    /// <paramref name="options"/> gives a prompt, the first of the model's <c>document</c>, <c>passage</c> and
    /// <c>corpus</c> prompts it has (an LLM2Vec model's as its instruction), none otherwise; a Router folder's
    /// <c>document</c> route. Otherwise as <see cref="Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/>.
    /// </summary>
    public float[][] EncodeDocument(IReadOnlyList<string> texts, EncodeOptions? options = null, CancellationToken cancellationToken = default) =>
        Encode(texts, ForRole("document", options), cancellationToken);

    /// <summary>
    /// <paramref name="options"/> (null: the defaults) for texts of <paramref name="role"/>, "query" or "document"
    /// ("passage" is read as "document"; null leaves the options as they are): the role's prompt when the options give
    /// none (an empty prompt is none; an LLM2Vec model's prompt becomes its <see cref="EncodeOptions.Instruction"/>) and
    /// the role as the <see cref="EncodeOptions.Route"/>. The one rule behind <see cref="EncodeQuery"/>,
    /// <see cref="EncodeDocument"/>, the embedding generators' <c>input_type</c> and <c>/v1/embeddings</c>' <c>input_type</c>.
    /// Any other role is an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="role"/>.
    /// </summary>
    public EncodeOptions ForRole(string? role, EncodeOptions? options = null)
    {
        options ??= new EncodeOptions();
        if (role is null) return options;
        var names = role switch
        {
            "query" => RolePromptNames.Query,
            "document" or "passage" => RolePromptNames.Document,
            _ => throw new ArgumentOutOfRangeException(nameof(role), $"role \"{role}\" is neither \"query\" nor \"document\""),
        };
        var routed = options with { Route = names == RolePromptNames.Query ? "query" : "document" };
        if (options.Prompt is not null || options.PromptName is not null || options.Instruction is not null) return routed;
        string? name = names.FirstOrDefault(n => Folder.Prompts.TryGetValue(n, out var text) && text.Length > 0);
        if (name is null) return routed;
        return Folder.Llm2Vec is not null ? routed with { Instruction = Folder.Prompts[name] } : routed with { PromptName = name };
    }
}
