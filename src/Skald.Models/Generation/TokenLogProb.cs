namespace Skald.Models.Generation;

/// <summary>A token id and its log-probability under the model's distribution at one step.</summary>
/// <param name="Id">The token id.</param>
/// <param name="LogProb">Its natural-log probability (≤ 0).</param>
public readonly record struct TokenLogProb(int Id, float LogProb);
