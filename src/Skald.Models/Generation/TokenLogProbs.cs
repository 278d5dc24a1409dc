namespace Skald.Models.Generation;

/// <summary>
/// The log-probabilities of one generated token (<see cref="GenerationOptions.LogProbs"/>), as vLLM reports them by
/// default: the log-softmax of the model's logits at that step, before the repetition penalty, temperature, top-k and
/// top-p (so a sampled token's value does not depend on how it was sampled).
/// </summary>
/// <param name="Chosen">The token chosen at this step and its log-probability.</param>
/// <param name="Top">The most likely tokens at this step, most likely first (ties: the lower id first); as many as asked.</param>
public sealed record TokenLogProbs(TokenLogProb Chosen, IReadOnlyList<TokenLogProb> Top)
{
    /// <summary>
    /// The log-probabilities of <paramref name="chosen"/> and of the <paramref name="top"/> most likely tokens under
    /// softmax(<paramref name="logits"/>) (computed in double: log p = z − max − log Σ exp(z − max)).
    /// </summary>
    public static TokenLogProbs Of(ReadOnlySpan<float> logits, int chosen, int top)
    {
        if ((uint)chosen >= (uint)logits.Length) throw new ArgumentOutOfRangeException(nameof(chosen), $"token {chosen} of {logits.Length}");
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        float max = float.NegativeInfinity;
        foreach (float z in logits) max = Math.Max(max, z);
        double sum = 0;
        foreach (float z in logits) sum += Math.Exp((double)z - max);
        double norm = max + Math.Log(sum);
        int n = Math.Min(top, logits.Length);
        Span<int> ids = n <= 64 ? stackalloc int[n] : new int[n]; // scratch: the entry keeps only what it reports
        int filled = 0;
        for (int i = 0; i < logits.Length && n > 0; i++)
        {
            // insertion into the n best so far (descending; an equal value stays behind the lower id already there)
            if (filled == n && !(logits[i] > logits[ids[n - 1]])) continue;
            int at = filled < n ? filled++ : n - 1;
            while (at > 0 && logits[i] > logits[ids[at - 1]])
            {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = i;
        }
        var best = new TokenLogProb[n];
        for (int k = 0; k < n; k++) best[k] = new TokenLogProb(ids[k], (float)(logits[ids[k]] - norm));
        return new TokenLogProbs(new TokenLogProb(chosen, (float)(logits[chosen] - norm)), best);
    }
}
