namespace Skald.Evaluation.Generation;

/// <summary>
/// How ROUGE splits a text into words. <see cref="Unicode"/> (Skald's default): NFC, lower-cased, words are the
/// maximal runs of Unicode letters and numbers, so "blåbær" and "smörgås" stay one word. <see cref="RougeScore"/>:
/// google's rouge_score default tokenizer (tokenize.py without stemming): lower-case, every character outside
/// [a-z0-9] becomes a space, so "blåbær" becomes "bl", "b", "r" — reported beside the Unicode variant for comparison.
/// </summary>
/// <remarks>Upstream: https://github.com/google-research/google-research/blob/61ce9f0ca76025dac5b671c0631e443a9975a8a3/rouge/tokenize.py</remarks>
public enum RougeTokenizer
{
    /// <summary>Unicode letters and numbers (keeps å, ä, ö, æ, ø words whole).</summary>
    Unicode,

    /// <summary>rouge_score's default: ASCII letters and digits only.</summary>
    RougeScore,
}
