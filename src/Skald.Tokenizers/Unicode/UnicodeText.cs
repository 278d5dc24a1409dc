using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Unicode;

/// <summary>
/// Unicode normalization of plain strings with the tokenizers' own tables (the process runs with invariant
/// globalization, where <see cref="string.Normalize()"/> does not compose).
/// </summary>
public static class UnicodeText
{
    /// <summary>The NFC form of <paramref name="text"/> (the same string when it is already NFC).</summary>
    public static string Nfc(string text)
    {
        var ns = new NormalizedString(text);
        UnicodeNormalization.Apply(ns, NormalizationKind.Nfc);
        string result = ns.ToString();
        return result == text ? text : result;
    }
}
