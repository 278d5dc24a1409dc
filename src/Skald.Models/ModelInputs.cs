using Skald.Tokenizers;

namespace Skald.Models;

/// <summary>
/// Texts as a model takes them (<see cref="SentenceEncoder.Prepare"/>): the token ids of each text, the prompt's token
/// count that pooling leaves out when the Pooling module says include_prompt = false, and for LLM2Vec models how many
/// of each text's last tokens are pooled (the rest, the instruction, is attended to only).
/// </summary>
/// <param name="Encodings">One encoding per text.</param>
/// <param name="PromptLength">Leading tokens excluded from pooling (0: none).</param>
/// <param name="EmbedCounts">Per text, the trailing tokens that are pooled; null: all real tokens.</param>
/// <param name="Query">
/// True when the texts take a Router folder's "query" route (its query adapter runs after the shared chain); false:
/// the document route. Models without a Router ignore it.
/// </param>
public sealed record ModelInputs(IReadOnlyList<Encoding> Encodings, int PromptLength = 0, int[]? EmbedCounts = null, bool Query = false)
{
    /// <summary>Number of texts.</summary>
    public int Count => Encodings.Count;

    /// <summary>A CSR sparse encoder's latents kept per text (max_active_dims; null: the module's k).</summary>
    public int? MaxActiveDims { get; init; }

    /// <summary>The texts at <paramref name="rows"/>, in that order.</summary>
    public ModelInputs Select(IReadOnlyList<int> rows) =>
        new([.. rows.Select(i => Encodings[i])], PromptLength, EmbedCounts is null ? null : [.. rows.Select(i => EmbedCounts[i])], Query)
        {
            MaxActiveDims = MaxActiveDims,
        };

    /// <summary>Texts <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> − 1.</summary>
    public ModelInputs Slice(int start, int count) => Select(Enumerable.Range(start, count).ToArray());
}
