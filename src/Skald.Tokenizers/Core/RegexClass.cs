using System.Runtime.CompilerServices;
using System.Text;

namespace Skald.Tokenizers.Core;

/// <summary>
/// A regex that is one character class, optionally repeated (<see cref="PrefixCut.ClassRegex"/>), evaluated on the
/// alphabet of <see cref="CutTable"/>: which symbols it matches, and how its matches repeat.
/// </summary>
internal sealed class RegexClass
{
    private static readonly ConditionalWeakTable<OnigRegex, RegexClass?> Cache = new();

    private readonly bool[] _member;

    private RegexClass(bool[] member, bool repeated, int minRepeat)
    {
        _member = member;
        Repeated = repeated;
        MinRepeat = minRepeat;
    }

    /// <summary>True when a match is a run of the class (<c>+</c> or <c>{n,}</c>), not one character.</summary>
    public bool Repeated { get; }

    /// <summary>The shortest run a repeated class matches (1 for <c>+</c>).</summary>
    public int MinRepeat { get; }

    /// <summary>Whether the class matches <paramref name="c"/> (a character of the alphabet; an ideograph stands for all).</summary>
    public bool Matches(char c) => CutTable.Symbol(c) is int s and >= 0 && _member[s];

    /// <summary>
    /// The class of <paramref name="regex"/>, or null when the pattern is no class regex or the class does not treat
    /// every ideograph alike (then no table cut relies on it).
    /// </summary>
    public static RegexClass? Of(OnigRegex regex) => Cache.GetValue(regex, Build);

    private static RegexClass? Build(OnigRegex regex)
    {
        string pattern = regex.Pattern;
        if (!PrefixCut.ClassRegex(pattern)) return null;
        int end = pattern.StartsWith('[') ? pattern.IndexOf(']', 1) + 1 : pattern.StartsWith(@"\p{") ? pattern.IndexOf('}') + 1 : 2;
        string rest = pattern[end..];
        int min = rest.Length == 0 ? 1 : rest == "+" ? 1 : int.Parse(rest[1..^1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
        var single = new OnigRegex(pattern[..end]);
        var member = new bool[CutTable.Symbols];
        var found = new List<(int Start, int End)>();
        for (int s = 0; s < CutTable.Symbols; s++)
        {
            if (s == CutTable.Ideograph) continue;
            found.Clear();
            single.Matches(CutTable.Char(s).ToString(), found);
            member[s] = found.Count == 1;
        }
        var all = new StringBuilder();
        for (char c = '\u4E00'; c <= '\u9FA5'; c++) all.Append(c);
        found.Clear();
        single.Matches(all.ToString(), found);
        if (found.Count != 0 && found.Count != all.Length) return null;
        member[CutTable.Ideograph] = found.Count != 0;
        return new RegexClass(member, rest.Length > 0, min);
    }
}
