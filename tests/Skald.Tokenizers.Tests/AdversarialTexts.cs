using System.Text;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// The fixture tokenizers and the adversarial long texts the bounded truncation tests run on (CJK, one long word,
/// digits, punctuation, base64, mixed scripts, combining marks, emoji ZWJ sequences, CRLF lines, NFC/NFD forms, words
/// and digits between tabs and line breaks, lone surrogates), each about <see cref="Length"/> characters from a fixed seed.
/// </summary>
internal static class AdversarialTexts
{
    /// <summary>About how long each text is (UTF-16 units).</summary>
    public const int Length = 24_000;

    /// <summary>The fixture tokenizers' names, in ordinal order.</summary>
    public static IEnumerable<string> Fixtures() =>
        Directory.GetDirectories(FixturePaths.TokenizerFixtures)
            .Where(d => File.Exists(Path.Combine(d, "tokenizer.json")))
            .Select(d => Path.GetFileName(d)!)
            .Order(StringComparer.Ordinal);

    /// <summary>The adversarial texts, from a fixed seed.</summary>
    public static List<(string Kind, string Text)> Make()
    {
        var rnd = new Random(20261205);
        string Make(Func<string> unit)
        {
            var sb = new StringBuilder(Length + 16);
            while (sb.Length < Length) sb.Append(unit());
            return sb.ToString();
        }
        char Pick(string s) => s[rnd.Next(s.Length)];
        string ideo() => ((char)rnd.Next(0x4E00, 0x9FA6)).ToString();
        const string lower = "abcdefghijklmnopqrstuvwxyzæøå", punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
            b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        string[] scripts = ["abcxyz", "абвгдеж", "αβγδεζ", "一二三四", "0123456789", ".,;-", "אבגד", "ابتث"];
        string[] emoji = ["\U0001F468\u200D\U0001F469\u200D\U0001F467", "\U0001F3F3\uFE0F\u200D\U0001F308", "\U0001F44D\U0001F3FD", "a", "!", "1"];
        string[] forms = ["e\u0301", "\u00E9", "A\u030A", "\u00C5", "\uFB01", "\u00BD", "\u1E9B\u0323", ".", ",", "x", "<\u0338", "\u212B"];
        return
        [
            ("cjk running", Make(() => rnd.Next(12) == 0 ? Pick(CutTable.CjkPunctuation).ToString() : ideo())),
            ("cjk run", Make(ideo)),
            ("one word", Make(() => Pick(lower).ToString())),
            ("digits", Make(() => Pick("0123456789").ToString())),
            ("punctuation", Make(() => Pick(punct).ToString())),
            ("base64", Make(() => Pick(b64).ToString())),
            ("mixed scripts", Make(() => Pick(scripts[rnd.Next(scripts.Length)]).ToString())),
            ("combining marks", Make(() => Pick(lower) + new string((char)rnd.Next(0x300, 0x370), rnd.Next(3)) + (rnd.Next(8) == 0 ? "." : ""))),
            ("emoji", Make(() => emoji[rnd.Next(emoji.Length)])),
            ("crlf", Make(() => Pick(lower).ToString() + (rnd.Next(6) == 0 ? "\r\n" : rnd.Next(9) == 0 ? Pick(punct).ToString() : ""))),
            ("nfc and nfd", Make(() => forms[rnd.Next(forms.Length)])),
            ("code lines", Make(() => new string(Enumerable.Range(0, rnd.Next(1, 9)).Select(_ => Pick(b64[..62])).ToArray()) + (rnd.Next(3) switch { 0 => "\n", 1 => "\t", _ => "\r\n" }))),
            ("lone surrogates", Make(() => rnd.Next(5) switch { 0 => "\uD800", 1 => "\uDC00", 2 => Pick(punct).ToString(), _ => Pick(lower).ToString() })),
        ];
    }
}
