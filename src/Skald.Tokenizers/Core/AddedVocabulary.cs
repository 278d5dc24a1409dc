using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Core;

/// <summary>
/// HF's AddedVocabulary: added tokens are cut out of the input before the normalizer → pre-tokenizer → model chain runs.
/// Non-normalized tokens are matched on the raw text, normalized ones on the normalized pieces;
/// matching is leftmost-longest, with single_word / lstrip / rstrip handled as HF does.
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/tokenizer/added_vocabulary.rs</remarks>
internal sealed class AddedVocabulary
{
    private readonly Matcher _raw;
    private readonly Matcher _normalized;
    private readonly Dictionary<string, int> _byContent = [];
    private readonly Dictionary<int, AddedToken> _byId = [];

    /// <summary>Builds the matchers; normalized tokens are matched in their normalized form.</summary>
    public AddedVocabulary(IReadOnlyList<AddedToken> tokens, INormalizer? normalizer)
    {
        Tokens = tokens;
        foreach (var t in tokens)
        {
            if (t.Content.Length == 0) continue;
            _byContent[t.Content] = t.Id;
            _byId[t.Id] = t;
        }
        // HF orders patterns: special tokens first, then the classic ones.
        var ordered = tokens.Where(t => t.Special).Concat(tokens.Where(t => !t.Special)).Where(t => t.Content.Length > 0).ToList();
        _raw = new Matcher(ordered.Where(t => !t.Normalized).Select(t => (t.Content, t)).ToList());
        _normalized = new Matcher(ordered.Where(t => t.Normalized).Select(t =>
        {
            var ns = new NormalizedString(t.Content);
            normalizer?.Normalize(ns);
            return (ns.ToString(), t);
        }).ToList());
    }

    /// <summary>All added tokens.</summary>
    public IReadOnlyList<AddedToken> Tokens { get; }

    /// <summary>Id of an added token's content.</summary>
    public bool TryGetId(string content, out int id) => _byContent.TryGetValue(content, out id);

    /// <summary>Content of an added token id.</summary>
    public bool TryGetToken(int id, out AddedToken? token) => _byId.TryGetValue(id, out token);

    /// <summary>
    /// False only when no added token can occur in <paramref name="text"/> (so extraction would leave it whole):
    /// no normalized added tokens exist and no raw one matches.
    /// </summary>
    public bool MayMatch(string text)
    {
        if (!_normalized.IsEmpty) return true;
        if (_raw.IsEmpty) return false;
        var span = text.AsSpan();
        return span.IndexOfAny(_raw.FirstChars) >= 0 && _raw.FindNext(span, 0, out _, out _, out _);
    }

    /// <summary>Splits out added tokens and normalizes the rest (HF's extract_and_normalize).</summary>
    public PreTokenizedString ExtractAndNormalize(string text, INormalizer? normalizer)
    {
        var pts = new PreTokenizedString(text);
        if (!_raw.IsEmpty) pts.Split(ns => SplitWith(ns, _raw));
        pts.Split(ns =>
        {
            normalizer?.Normalize(ns);
            return _normalized.IsEmpty ? [new Split(ns)] : SplitWith(ns, _normalized);
        });
        return pts;
    }

    private static List<Split> SplitWith(NormalizedString ns, Matcher matcher)
    {
        var result = new List<Split>();
        var text = ns.Span;
        if (text.Length == 0)
        {
            result.Add(new Split(ns));
            return result;
        }
        int startOffset = 0;
        int pos = 0;
        while (matcher.FindNext(text, pos, out int start, out int stop, out var token))
        {
            pos = stop;
            if (token.SingleWord)
            {
                bool startSpace = start == 0 || !EndsWithWord(text[..start]);
                bool stopSpace = stop == text.Length || !StartsWithWord(text[stop..]);
                if (!startSpace || !stopSpace) continue;
            }
            if (token.LStrip)
            {
                int newStart = start;
                while (newStart > 0)
                {
                    int w = newStart >= 2 && char.IsLowSurrogate(text[newStart - 1]) && char.IsHighSurrogate(text[newStart - 2]) ? 2 : 1;
                    int cp = w == 2 ? char.ConvertToUtf32(text[newStart - 2], text[newStart - 1]) : text[newStart - 1];
                    if (!UnicodeData.IsWhitespace(cp)) break;
                    newStart -= w;
                }
                start = Math.Max(newStart, startOffset);
            }
            if (token.RStrip)
            {
                while (stop < text.Length)
                {
                    int w = char.IsHighSurrogate(text[stop]) && stop + 1 < text.Length && char.IsLowSurrogate(text[stop + 1]) ? 2 : 1;
                    int cp = w == 2 ? char.ConvertToUtf32(text[stop], text[stop + 1]) : text[stop];
                    if (!UnicodeData.IsWhitespace(cp)) break;
                    stop += w;
                }
            }
            if (startOffset < start) result.Add(new Split(ns.Slice(startOffset, start)));
            var slice = ns.Slice(start, stop);
            result.Add(new Split(slice, [new Token(token.Id, slice.ToString(), 0, slice.Length)]));
            startOffset = stop;
            pos = Math.Max(pos, stop);
        }
        if (startOffset != text.Length) result.Add(new Split(ns.Slice(startOffset, text.Length)));
        return result;
    }

    private static bool IsWordAt(ReadOnlySpan<char> s, int i, out int width)
    {
        width = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
        int cp = width == 2 ? char.ConvertToUtf32(s[i], s[i + 1]) : s[i];
        return UnicodeData.Is(cp, UnicodeData.Word);
    }

    private static bool StartsWithWord(ReadOnlySpan<char> s) => s.Length > 0 && IsWordAt(s, 0, out _);

    private static bool EndsWithWord(ReadOnlySpan<char> s)
    {
        if (s.Length == 0) return false;
        int i = s.Length >= 2 && char.IsLowSurrogate(s[^1]) && char.IsHighSurrogate(s[^2]) ? s.Length - 2 : s.Length - 1;
        return IsWordAt(s, i, out _);
    }

    /// <summary>Leftmost-longest multi-pattern matcher (few patterns: indexed by first char).</summary>
    private sealed class Matcher
    {
        private readonly Dictionary<char, List<(string Pattern, AddedToken Token)>> _byFirst = [];

        public Matcher(List<(string Pattern, AddedToken Token)> patterns)
        {
            foreach (var p in patterns)
            {
                if (p.Pattern.Length == 0) continue;
                if (!_byFirst.TryGetValue(p.Pattern[0], out var list)) _byFirst[p.Pattern[0]] = list = [];
                list.Add(p);
            }
            FirstChars = System.Buffers.SearchValues.Create(_byFirst.Keys.ToArray());
        }

        public System.Buffers.SearchValues<char> FirstChars { get; }

        public bool IsEmpty => _byFirst.Count == 0;

        public bool FindNext(ReadOnlySpan<char> text, int from, out int start, out int stop, out AddedToken token)
        {
            for (int i = from; i < text.Length; i++)
            {
                if (!_byFirst.TryGetValue(text[i], out var list)) continue;
                int best = -1;
                AddedToken? bestToken = null;
                foreach (var (pattern, t) in list)
                {
                    if (pattern.Length > best && text[i..].StartsWith(pattern, StringComparison.Ordinal))
                    {
                        best = pattern.Length;
                        bestToken = t;
                    }
                }
                if (bestToken is not null)
                {
                    start = i;
                    stop = i + best;
                    token = bestToken;
                    return true;
                }
            }
            start = stop = 0;
            token = null!;
            return false;
        }
    }
}
