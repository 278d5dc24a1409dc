using Skald.Cli.IO;
using Skald.Evaluation.Models;

namespace Skald.Cli.Commands;

/// <summary>
/// The prompts mining embeds with, as <c>mine_hard_negatives</c>' <c>query_prompt</c> / <c>query_prompt_name</c> /
/// <c>corpus_prompt</c> / <c>corpus_prompt_name</c> take them: a prompt text wins over a name, a name is one of the
/// model's prompts (config_sentence_transformers.json), and with neither the anchors get the model's query prompt and
/// the passages its document prompt (sentence-transformers' encode_query / encode_document). Used by
/// <c>skald data mine-negatives</c> and the pipeline's <c>mine_negatives</c> stage.
/// </summary>
/// <param name="Query">Prompt text for the anchors ("" for none), or null.</param>
/// <param name="QueryName">Name of the model's prompt for the anchors, or null.</param>
/// <param name="Corpus">Prompt text for the passages ("" for none), or null.</param>
/// <param name="CorpusName">Name of the model's prompt for the passages, or null.</param>
internal sealed record MiningPrompts(string? Query, string? QueryName, string? Corpus, string? CorpusName)
{
    /// <summary>Whether any prompt was asked for.</summary>
    public bool Any => Query is not null || QueryName is not null || Corpus is not null || CorpusName is not null;

    /// <summary>
    /// <paramref name="options"/> with the asked prompts resolved against <paramref name="prompts"/>, the model's named
    /// prompts; a name the model lacks is one line naming <paramref name="model"/> and the names it has.
    /// </summary>
    public EvaluationEmbeddingOptions Apply(EvaluationEmbeddingOptions options, IReadOnlyDictionary<string, string> prompts, string model)
    {
        string? Resolve(string? text, string? name, string key) =>
            text ?? (name is null ? null
                : prompts.TryGetValue(name, out var p) ? p
                : throw new InputException($"{model}: {key} '{name}' is not one of the model's prompts ({(prompts.Count == 0 ? "it has none" : string.Join(", ", prompts.Keys))})"));
        return options with
        {
            QueryPrompt = Resolve(Query, QueryName, "query prompt name") ?? options.QueryPrompt,
            DocumentPrompt = Resolve(Corpus, CorpusName, "corpus prompt name") ?? options.DocumentPrompt,
        };
    }
}
