namespace Skald.Models.Generation;

/// <summary>
/// The logits processors and warpers of transformers' generate, on one row of next-token logits [V], following
/// generation/logits_process.py
/// (https://github.com/huggingface/transformers/blob/00857b6cf63a4fa05cbd9bdc8a4fd78b6168c5af/src/transformers/generation/logits_process.py):
/// RepetitionPenaltyLogitsProcessor (over the prompt and the generated tokens, each token once), then the sampling
/// warpers in generate's order: TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper. Removed tokens get −∞
/// (filter_value), min_tokens_to_keep is 1.
/// </summary>
public static class LogitsProcessors
{
    /// <summary>
    /// RepetitionPenaltyLogitsProcessor: for each token in <paramref name="seen"/> (each once) a negative logit is
    /// multiplied by <paramref name="penalty"/> and a positive one divided by it (penalty &gt; 1 discourages repeats).
    /// </summary>
    public static void RepetitionPenalty(Span<float> logits, ReadOnlySpan<int> seen, float penalty)
    {
        if (!(penalty > 0f)) throw new ArgumentOutOfRangeException(nameof(penalty), "the repetition penalty must be positive");
        if (penalty == 1f) return;
        foreach (int id in seen)
        {
            float z = logits[id];
            logits[id] = z < 0f ? z * penalty : z / penalty;
        }
    }

    /// <summary>TemperatureLogitsWarper: logits / <paramref name="temperature"/> (&gt; 0).</summary>
    public static void Temperature(Span<float> logits, float temperature)
    {
        if (!(temperature > 0f)) throw new ArgumentOutOfRangeException(nameof(temperature), "the temperature must be positive when sampling");
        if (temperature == 1f) return;
        for (int i = 0; i < logits.Length; i++) logits[i] /= temperature;
    }

    /// <summary>
    /// TopKLogitsWarper: logits below the k-th largest become −∞ (ties with the k-th are kept, as upstream's
    /// <c>scores &lt; topk(scores)[..., -1]</c>). k ≥ V keeps everything. <paramref name="scratch"/>: [V].
    /// </summary>
    public static void TopK(Span<float> logits, int k, Span<float> scratch)
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), "top-k must be positive");
        if (k >= logits.Length) return;
        var s = scratch[..logits.Length];
        logits.CopyTo(s);
        float kth = Select(s, k - 1);
        for (int i = 0; i < logits.Length; i++)
        {
            if (logits[i] < kth) logits[i] = float.NegativeInfinity;
        }
    }

    /// <summary>
    /// TopPLogitsWarper: sorts the logits ascending, takes the cumulative softmax and removes the tokens whose
    /// cumulative probability is ≤ 1 − <paramref name="topP"/> (the least likely ones), always keeping the most likely
    /// token. topP ≥ 1 keeps everything. Scratch: <paramref name="values"/> and <paramref name="order"/> [V].
    /// </summary>
    public static void TopP(Span<float> logits, float topP, Span<float> values, Span<int> order)
    {
        if (!(topP >= 0f) || topP > 1f) throw new ArgumentOutOfRangeException(nameof(topP), "top-p must be in [0, 1]");
        if (topP >= 1f) return;
        int n = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (float.IsNegativeInfinity(logits[i])) continue; // probability 0: removed either way
            values[n] = logits[i];
            order[n++] = i;
        }
        if (n == 0) return;
        var v = values[..n];
        var o = order[..n];
        v.Sort(o); // ascending
        double max = v[n - 1], sum = 0;
        for (int i = 0; i < n; i++) sum += Math.Exp(v[i] - max);
        double cumulative = 0, threshold = 1.0 - topP;
        for (int i = 0; i < n - 1; i++) // the last (most likely) token is always kept
        {
            cumulative += Math.Exp(v[i] - max) / sum;
            if (cumulative <= threshold) logits[o[i]] = float.NegativeInfinity;
            else break;
        }
    }

    /// <summary>
    /// Makes the logits safe to pick from: NaN becomes −∞ (never chosen), and where some logits are +∞ (a logit divided
    /// by a tiny repetition penalty or temperature overflows) those become 0 and all others −∞, the limit of the
    /// softmax (equal odds among the infinities; greedy takes the first, as torch.argmax does). Without this, NaN
    /// compares false (an argmax at a NaN stays there) and ∞ − ∞ makes every probability NaN.
    /// </summary>
    public static void Finite(Span<float> logits)
    {
        bool infinite = false;
        for (int i = 0; i < logits.Length; i++)
        {
            if (float.IsNaN(logits[i])) logits[i] = float.NegativeInfinity;
            else if (float.IsPositiveInfinity(logits[i])) infinite = true;
        }
        if (!infinite) return;
        for (int i = 0; i < logits.Length; i++) logits[i] = float.IsPositiveInfinity(logits[i]) ? 0f : float.NegativeInfinity;
    }

    /// <summary>The index of the largest logit (the first of equal maxima, as torch.argmax).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best]) best = i;
        }
        return best;
    }

    /// <summary>
    /// Draws a token from softmax(<paramref name="logits"/>) with <paramref name="uniform"/> ∈ [0, 1): the first token
    /// whose cumulative probability exceeds it (−∞ logits have probability 0).
    /// </summary>
    public static int Sample(ReadOnlySpan<float> logits, double uniform)
    {
        float max = float.NegativeInfinity;
        foreach (float z in logits) max = Math.Max(max, z);
        double sum = 0;
        foreach (float z in logits) sum += Math.Exp(z - max);
        double target = uniform * sum, cumulative = 0;
        int last = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (float.IsNegativeInfinity(logits[i])) continue;
            cumulative += Math.Exp(logits[i] - max);
            last = i;
            if (cumulative > target) return i;
        }
        return last; // rounding left the target at the very end
    }

    // The k-th largest value (0-based) of s, by quickselect (s is reordered).
    private static float Select(Span<float> s, int k)
    {
        int lo = 0, hi = s.Length - 1;
        while (lo < hi)
        {
            float pivot = s[lo + (hi - lo) / 2];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (s[i] > pivot) i++;
                while (s[j] < pivot) j--;
                if (i <= j)
                {
                    (s[i], s[j]) = (s[j], s[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return s[k];
        }
        return s[k];
    }
}
