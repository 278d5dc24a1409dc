using Skald.Models;

namespace Skald.Retrieval.Models;

/// <summary>
/// The one rule for which of a model's named prompts (<c>config_sentence_transformers.json</c>) a text gets by its
/// <see cref="TextRole"/> and, when evaluated on a task, by the task's name and MTEB type. Without a task: queries the
/// <c>query</c> prompt, documents the first of <c>document</c>, <c>passage</c> and <c>corpus</c> the model has
/// (<see cref="RolePromptNames"/>, sentence-transformers' encode_document), symmetric texts none.
/// On a task, MTEB's order (mteb/models/wrapper.py <c>get_prompt_name</c>, read at 00770627): the first of
/// <c>{task}-{role}</c>, <c>{task}</c>, <c>{type}-{role}</c>, <c>{type}</c>, <c>{role}</c> the model names, where role is
/// <c>query</c> or <c>document</c> (<c>passage</c>, MTEB 1's word, and <c>corpus</c> after it) and a symmetric text (STS, classification,
/// clustering, bitext, pairs, triplets) has no role, so only <c>{task}</c> and <c>{type}</c> apply to it; keys are
/// matched exactly, task types spelt as MTEB does (<c>Retrieval</c>, <c>STS</c>, <c>BitextMining</c>, ...). Used by
/// <c>skald evaluate</c>, <c>skald benchmark</c> and by evaluation during training.
/// </summary>
public static class RolePrompts
{
    /// <summary>
    /// The prompt for <paramref name="role"/> among <paramref name="prompts"/>, or null for none; with
    /// <paramref name="taskName"/> / <paramref name="taskType"/>, MTEB's task-specific keys first.
    /// </summary>
    public static string? For(IReadOnlyDictionary<string, string> prompts, TextRole role, string? taskName = null, string? taskType = null)
    {
        IReadOnlyList<string> roles = role switch { TextRole.Query => RolePromptNames.Query, TextRole.Document => RolePromptNames.Document, _ => [] };
        foreach (string? scope in (ReadOnlySpan<string?>)[taskName, taskType])
        {
            if (string.IsNullOrEmpty(scope)) continue;
            foreach (string r in roles)
                if (prompts.TryGetValue($"{scope}-{r}", out var scoped)) return scoped;
            if (prompts.TryGetValue(scope, out var whole)) return whole;
        }
        foreach (string r in roles)
            if (prompts.TryGetValue(r, out var plain)) return plain;
        return null;
    }

    /// <summary>
    /// Whether any of <paramref name="prompts"/>' keys could name a task or task type (anything but the role keys), so
    /// a model's prompts can differ from task to task.
    /// </summary>
    public static bool HasTaskKeys(IReadOnlyDictionary<string, string> prompts) =>
        prompts.Keys.Any(k => !RolePromptNames.Query.Contains(k) && !RolePromptNames.Document.Contains(k));
}
