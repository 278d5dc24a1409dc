using System.Text.RegularExpressions;

namespace Skald.Data.Llm;

/// <summary>
/// Reads the questions out of a model's reply, tolerating the usual chatter: numbered lines ("1.", "2)", "3:",
/// "**1.**", "Spørsmål 1:", "Fråga 2 –") or bulleted lines; without any, the lines that end in a question mark. Markdown
/// emphasis, surrounding quotes and trailing answers in brackets are removed; introductions ("Her er tre spørsmål:")
/// and sign-offs are ignored because they are neither numbered nor questions.
/// </summary>
public static partial class QuestionListParser
{
    /// <summary>At most <paramref name="max"/> questions from <paramref name="reply"/>, in order, without repeats.</summary>
    public static List<string> Parse(string? reply, int max)
    {
        var result = new List<string>();
        if (string.IsNullOrWhiteSpace(reply)) return result;
        var lines = reply.Replace("\r", "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var items = lines.Select(l => Item().Match(l)).Where(m => m.Success).Select(m => m.Groups["q"].Value).ToList();
        if (items.Count == 0) items = [.. lines.Where(l => Clean(l).EndsWith('?'))];
        foreach (var raw in items)
        {
            string q = Clean(raw);
            if (q.Length < 3 || q.EndsWith(':')) continue;
            if (!result.Contains(q, StringComparer.OrdinalIgnoreCase)) result.Add(q);
            if (result.Count == max) break;
        }
        return result;
    }

    private static string Clean(string s)
    {
        s = s.Replace("**", "").Replace("__", "").Trim();
        s = TrailingNote().Replace(s, "");
        s = s.Trim().Trim('"', '“', '”', '«', '»', '\'', '`').Trim();
        return s;
    }

    [GeneratedRegex(@"^(?:[*_]{0,2})(?:(?:spørsmål|spørgsmål|fråga|fraga|question|q)\s*)?(?:\d{1,2}\s*[.):\-–]|[-*•])(?:[*_]{0,2})\s*(?<q>.+)$", RegexOptions.IgnoreCase)]
    private static partial Regex Item();

    [GeneratedRegex(@"\s*[(\[](?:svar|svaret|answer|svar:)[^)\]]*[)\]]\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex TrailingNote();
}
