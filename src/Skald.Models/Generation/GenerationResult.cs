namespace Skald.Models.Generation;

/// <summary>One generated continuation.</summary>
/// <param name="Ids">The new token ids (an end-of-sequence token that stopped it included, as transformers returns it).</param>
/// <param name="Text">The new ids decoded without special tokens, cut before a stop string that ended it.</param>
/// <param name="FinishReason">Why it stopped.</param>
/// <param name="PromptTokens">Tokens of the prompt it continues.</param>
/// <param name="LogProbs">
/// With <see cref="GenerationOptions.LogProbs"/>: one entry per id of <paramref name="Ids"/>, in order; otherwise null.
/// </param>
public sealed record GenerationResult(int[] Ids, string Text, FinishReason FinishReason, int PromptTokens,
    IReadOnlyList<TokenLogProbs>? LogProbs = null);
