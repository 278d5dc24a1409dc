using System.Text;
using System.Text.RegularExpressions;

namespace Skald.Data.Translate;

/// <summary>
/// A text split into what a translator may change and what it must not, so that translated instruction data keeps its
/// code and placeholders byte for byte.
/// <list type="bullet">
/// <item>Fenced code blocks (a line opening with <c>```</c> or <c>~~~</c> up to its closing fence) and line breaks stay
/// verbatim; the lines between them are translated one by one, so line structure survives engines that flatten it
/// (Apertium).</item>
/// <item>Inside a line, inline code (<c>`x`</c>), URLs, template and format placeholders (<c>{name}</c>, <c>{{ x }}</c>,
/// <c>{% if %}</c>, <c>%s</c>, <c>%(name)s</c>, <c>${VAR}</c>, <c>$VAR</c>), HTML tags and anything already looking
/// like a marker become markers <c>⟦0⟧</c>, <c>⟦1⟧</c>, … which Apertium passes through and an LLM is told to keep.</item>
/// </list>
/// A translated line whose markers do not come back exactly once each is translated again as the fragments between
/// its protected spans, so nothing protected is ever lost or altered.
/// </summary>
public sealed partial class ShieldedText
{
    private readonly List<string> verbatim = []; // verbatim[i] precedes prose line i; one more at the end
    private readonly List<string> prose = [];     // masked lines to translate
    private readonly List<List<string>> protectedSpans = []; // per prose line, the text behind ⟦k⟧

    private ShieldedText() { }

    /// <summary>The masked lines a translator sees, in order.</summary>
    public IReadOnlyList<string> Prose => prose;

    /// <summary>Splits <paramref name="text"/> into verbatim parts and masked prose lines.</summary>
    public static ShieldedText Protect(string text)
    {
        var s = new ShieldedText();
        var pending = new StringBuilder();
        int at = 0;
        foreach (Match fence in FencedBlock().Matches(text))
        {
            s.AddLines(text[at..fence.Index], pending);
            pending.Append(fence.Value);
            at = fence.Index + fence.Length;
        }
        s.AddLines(text[at..], pending);
        s.verbatim.Add(pending.ToString());
        return s;
    }

    /// <summary>
    /// Translates <paramref name="texts"/> through <paramref name="translate"/> (one call for every prose line, a second
    /// only for lines whose markers did not survive), keeping every protected span as it was.
    /// </summary>
    public static List<string> TranslateAll(IReadOnlyList<string> texts, Func<IReadOnlyList<string>, List<string>> translate)
    {
        var shields = texts.Select(Protect).ToList();
        var lines = shields.SelectMany(s => s.prose).ToList();
        var first = lines.Count == 0 ? [] : translate(lines);
        if (first.Count != lines.Count) throw new DataException($"the translator returned {first.Count} texts for {lines.Count}");
        var restored = new List<string?[]>();
        var retry = new List<(int Text, int Line, List<string> Fragments)>();
        int k = 0;
        for (int t = 0; t < shields.Count; t++)
        {
            var done = new string?[shields[t].prose.Count];
            for (int j = 0; j < done.Length; j++, k++)
            {
                done[j] = shields[t].TryRestore(j, first[k]);
                if (done[j] is null) retry.Add((t, j, shields[t].Fragments(j)));
            }
            restored.Add(done);
        }
        if (retry.Count > 0)
        {
            var pieces = retry.SelectMany(r => r.Fragments).Where(HasLetter).Select(f => f.Trim()).ToList();
            var second = pieces.Count == 0 ? [] : translate(pieces);
            if (second.Count != pieces.Count) throw new DataException($"the translator returned {second.Count} texts for {pieces.Count}");
            int p = 0;
            foreach (var (t, j, fragments) in retry)
            {
                var translated = fragments.Select(f => HasLetter(f) ? Rewrap(f, second[p++]) : f).ToList();
                restored[t][j] = shields[t].Join(j, translated);
            }
        }
        return [.. shields.Select((s, t) => s.Assemble(restored[t]!))];
    }

    /// <summary>Line <paramref name="line"/> with its markers replaced by what they stand for, or null when <paramref name="translated"/> lost, repeated or invented a marker.</summary>
    public string? TryRestore(int line, string translated)
    {
        var spans = protectedSpans[line];
        var seen = new int[spans.Count];
        foreach (Match m in Marker().Matches(translated))
            if (!int.TryParse(m.Groups[1].ValueSpan, out int i) || i >= spans.Count || ++seen[i] > 1) return null;
        if (seen.Any(c => c != 1)) return null;
        return Marker().Replace(translated, m => spans[int.Parse(m.Groups[1].ValueSpan)]);
    }

    /// <summary>Line <paramref name="line"/>'s text between its protected spans (one more fragment than spans).</summary>
    public List<string> Fragments(int line) => [.. Marker().Split(prose[line]).Where((_, i) => i % 2 == 0)];

    /// <summary>Line <paramref name="line"/> rebuilt from translated <paramref name="fragments"/> and its protected spans.</summary>
    public string Join(int line, IReadOnlyList<string> fragments)
    {
        var spans = protectedSpans[line];
        var sb = new StringBuilder(fragments[0]);
        for (int i = 0; i < spans.Count; i++) sb.Append(spans[i]).Append(fragments[i + 1]);
        return sb.ToString();
    }

    /// <summary>The whole text from its verbatim parts and the restored <paramref name="lines"/>.</summary>
    public string Assemble(IReadOnlyList<string> lines)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < lines.Count; i++) sb.Append(verbatim[i]).Append(lines[i]);
        return sb.Append(verbatim[^1]).ToString();
    }

    private void AddLines(string segment, StringBuilder pending)
    {
        int at = 0;
        foreach (Match line in Line().Matches(segment))
        {
            pending.Append(segment, at, line.Index - at);
            at = line.Index + line.Length;
            var spans = new List<string>();
            string masked = Inline().Replace(line.Value, m => { spans.Add(m.Value); return $"⟦{spans.Count - 1}⟧"; });
            if (!HasLetter(Marker().Replace(masked, "")))
            {
                pending.Append(line.Value); // nothing to translate: punctuation, numbers, placeholders only
                continue;
            }
            verbatim.Add(pending.ToString());
            pending.Clear();
            prose.Add(masked);
            protectedSpans.Add(spans);
        }
        pending.Append(segment, at, segment.Length - at);
    }

    private static bool HasLetter(string s) => s.Any(char.IsLetter);

    /// <summary><paramref name="translation"/> of <paramref name="fragment"/>'s trimmed text, with the fragment's own leading and trailing white space.</summary>
    private static string Rewrap(string fragment, string translation) =>
        fragment[..(fragment.Length - fragment.TrimStart().Length)] + translation.Trim() + fragment[fragment.TrimEnd().Length..];

    [GeneratedRegex(@"^[ \t]*(```|~~~)[^\n]*(\n|\z)(?:[\s\S]*?^[ \t]*\1[ \t]*(?:\n|\z)|[\s\S]*\z)", RegexOptions.Multiline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"[^\s](?:[^\n]*[^\s])?")] // a line without its surrounding white space
    private static partial Regex Line();

    [GeneratedRegex(@"`[^`\n]+`|https?://[^\s<>""]*[^\s<>"".,;:!?)\]]|\{\{.*?\}\}|\{%.*?%\}|\{[A-Za-z0-9_.:!\[\]-]*\}|%\([A-Za-z_]\w*\)[-+#0]*\d*(?:\.\d+)?[sdifr]|%\d+\$[sd]|%[-+#0]*\d*(?:\.\d+)?[sdifxXeEgG](?![\p{L}\d])|\$\{[^}\n]+\}|\$[A-Z_][A-Z0-9_]*\b|</?[A-Za-z][^<>\n]*>|⟦\d+⟧")]
    private static partial Regex Inline();

    [GeneratedRegex(@"⟦(\d+)⟧")]
    private static partial Regex Marker();
}
