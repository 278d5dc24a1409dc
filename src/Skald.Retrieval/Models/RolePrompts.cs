namespace Skald.Retrieval.Models;

/// <summary>
/// The one rule for which of a model's named prompts (<c>config_sentence_transformers.json</c>) a text gets by its
/// <see cref="TextRole"/>: queries the <c>query</c> prompt, documents the <c>document</c> prompt or else the
/// <c>passage</c> prompt, symmetric texts none. Used by <c>skald evaluate</c> and by evaluation during training.
/// </summary>
public static class RolePrompts
{
    /// <summary>The prompt for <paramref name="role"/> among <paramref name="prompts"/>, or null for none.</summary>
    public static string? For(IReadOnlyDictionary<string, string> prompts, TextRole role) => role switch
    {
        TextRole.Query => prompts.GetValueOrDefault("query"),
        TextRole.Document => prompts.GetValueOrDefault("document") ?? prompts.GetValueOrDefault("passage"),
        _ => null,
    };
}
