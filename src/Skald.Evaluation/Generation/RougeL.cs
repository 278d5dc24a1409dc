namespace Skald.Evaluation.Generation;

/// <summary>
/// ROUGE-L as google's rouge_score computes it (rouge_scorer._score_lcs): the longest common subsequence of the
/// reference's and the prediction's words; precision = LCS / prediction words, recall = LCS / reference words,
/// F = 2PR / (P + R) (scoring.fmeasure, β = 1); an empty side scores 0. One sentence-level LCS over the whole text
/// (rougeL, not the summary-level rougeLsum).
/// </summary>
/// <remarks>Upstream: https://github.com/google-research/google-research/blob/61ce9f0ca76025dac5b671c0631e443a9975a8a3/rouge/rouge_scorer.py</remarks>
public static class RougeL
{
    /// <summary>ROUGE-L of <paramref name="prediction"/> against <paramref name="reference"/>.</summary>
    public static PrfScore Score(string reference, string prediction, RougeTokenizer tokenizer = RougeTokenizer.Unicode) =>
        Score(RougeTokens.Split(reference, tokenizer), RougeTokens.Split(prediction, tokenizer));

    /// <summary>ROUGE-L of word lists.</summary>
    public static PrfScore Score(IReadOnlyList<string> reference, IReadOnlyList<string> prediction)
    {
        if (reference.Count == 0 || prediction.Count == 0) return new PrfScore(0, 0, 0);
        int lcs = Lcs(reference, prediction);
        return PrfScore.Of((double)lcs / prediction.Count, (double)lcs / reference.Count);
    }

    /// <summary>Length of the longest common subsequence (two rows of the dynamic-programming table).</summary>
    public static int Lcs(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var prev = new int[b.Count + 1];
        var cur = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                cur[j] = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal) ? prev[j - 1] + 1 : Math.Max(prev[j], cur[j - 1]);
            (prev, cur) = (cur, prev);
        }
        return prev[b.Count];
    }
}
