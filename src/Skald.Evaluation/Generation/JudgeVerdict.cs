using System.Globalization;
using System.Text.RegularExpressions;

namespace Skald.Evaluation.Generation;

/// <summary>An LLM judge's verdict on one answer: a score from 1 to 10 and the judge's rationale.</summary>
/// <param name="Score">1 (wrong or useless) to 10 (as good as the reference).</param>
/// <param name="Rationale">The judge's reasons, as it wrote them.</param>
public sealed partial record JudgeVerdict(int Score, string Rationale)
{
    /// <summary>
    /// The system and user messages asking a judge to grade <paramref name="answer"/> to <paramref name="prompt"/>
    /// against <paramref name="reference"/> (the reference in the prompt: judges are reliable only with it), with the
    /// reply format <see cref="Parse"/> reads.
    /// </summary>
    public static (string System, string User) Prompt(string prompt, string reference, string answer) => (
        "You grade answers to instructions. Compare the answer with the reference answer: correctness and completeness " +
        "count most, then language and fluency (the answer should be in the language of the instruction). Reply with two " +
        "lines exactly: \"Rationale: <one or two sentences>\" and \"Score: <integer 1-10>\" (10 = as good as the reference).",
        $"Instruction:\n{prompt}\n\nReference answer:\n{reference}\n\nAnswer to grade:\n{answer}");

    /// <summary>
    /// The verdict in a judge's reply: the last "Score: N" (also "N/10"), N in 1–10, and the text of a "Rationale:"
    /// line (else the reply without its score line); null when there is no score.
    /// </summary>
    public static JudgeVerdict? Parse(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply)) return null;
        var scores = ScoreLine().Matches(reply);
        if (scores.Count == 0) return null;
        var m = scores[^1];
        if (!int.TryParse(m.Groups["n"].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n is < 1 or > 10) return null;
        var why = RationaleLine().Match(reply);
        string rationale = why.Success ? why.Groups["r"].Value.Trim() : reply.Remove(m.Index, m.Length).Trim().Trim('*', '#').Trim();
        return new JudgeVerdict(n, rationale);
    }

    [GeneratedRegex(@"(?:score\s*[:=]\s*\**\s*(?<n>\d{1,2})(?:\s*/\s*10)?|(?<n>\d{1,2})\s*/\s*10)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ScoreLine();

    [GeneratedRegex(@"rationale\s*:\s*(?<r>[^\n]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RationaleLine();
}
