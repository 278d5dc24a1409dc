using System.Text;
using System.Text.RegularExpressions;

namespace Skald.Evaluation.Generation;

/// <summary>The word splits of <see cref="RougeTokenizer"/>.</summary>
public static partial class RougeTokens
{
    /// <summary>The words of <paramref name="text"/> under <paramref name="tokenizer"/>.</summary>
    public static List<string> Split(string text, RougeTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        if (tokenizer == RougeTokenizer.RougeScore)
        {
            // Python's str.lower() first (non-ASCII letters lower-case too; the ones that become ASCII, such as the
            // Kelvin sign, count), then runs of [a-z0-9].
            foreach (Match m in AsciiWord().Matches(text.ToLowerInvariant())) words.Add(m.Value);
            return words;
        }
        var sb = new StringBuilder();
        foreach (var rune in text.Normalize(NormalizationForm.FormC).ToLowerInvariant().EnumerateRunes())
        {
            // A combining mark continues its word: a decomposed "a" + ring stays inside "blåbær" even where NFC cannot
            // compose (globalization-invariant builds leave the text as it is).
            if (Rune.IsLetter(rune) || Rune.IsNumber(rune) || (sb.Length > 0 && Rune.GetUnicodeCategory(rune)
                    is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark
                    or System.Globalization.UnicodeCategory.EnclosingMark))
            {
                sb.Append(rune.ToString());
                continue;
            }
            if (sb.Length > 0) words.Add(sb.ToString());
            sb.Clear();
        }
        if (sb.Length > 0) words.Add(sb.ToString());
        return words;
    }

    [GeneratedRegex("[a-z0-9]+", RegexOptions.CultureInvariant)]
    private static partial Regex AsciiWord();
}
