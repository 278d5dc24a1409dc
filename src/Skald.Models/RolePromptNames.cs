namespace Skald.Models;

/// <summary>
/// The prompt names a role takes, the first one a model's <c>config_sentence_transformers.json</c> has
/// (sentence-transformers v5's <c>encode_query</c> / <c>encode_document</c>): the one list behind
/// <see cref="SentenceEncoder.ForRole"/> and Skald.Retrieval's <c>RolePrompts</c> (evaluation, indexes, search).
/// </summary>
public static class RolePromptNames
{
    /// <summary>A query's: <c>query</c>.</summary>
    public static IReadOnlyList<string> Query { get; } = ["query"];

    /// <summary>A document's: <c>document</c>, else <c>passage</c>, else <c>corpus</c>.</summary>
    public static IReadOnlyList<string> Document { get; } = ["document", "passage", "corpus"];
}
