using Skald.Tokenizers.Models;
using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.PreTokenizers;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Core;

/// <summary>
/// The BERT pipeline (BertNormalizer or none → BertPreTokenizer → WordPiece) fused into one pass over a text with
/// per-thread scratch buffers: no NormalizedString, split lists or slices. Each BMP char is normalized through a
/// per-char table filled lazily by running the real normalizer on that char alone, which is exact because the BERT
/// normalizer works char by char — except canonical reordering of combining marks under strip_accents, so a char
/// whose decomposition keeps a combining mark (non-zero class, not removed) is marked unsafe. A text with a surrogate,
/// an unsafe char or an added token falls back to the general pipeline, which this must match id for id and offset
/// for offset (tests compare the two).
/// </summary>
internal sealed class BertWordPieceFastPath
{
    private const byte WordChar = 0, Space = 1, Punct = 2;
    private static readonly string Unsafe = new('\uFFFF', 1);

    private readonly INormalizer? _normalizer;
    private readonly WordPieceModel _model;
    private readonly bool _stripsAccents;
    private readonly string?[] _expansion = new string?[0x10000];
    private readonly byte[] _asciiClass = new byte[128];

    /// <summary>Creates the fast path for a normalizer (BertNormalizer or null) and a WordPiece model.</summary>
    public BertWordPieceFastPath(BertNormalizer? normalizer, WordPieceModel model)
    {
        _normalizer = normalizer;
        _model = model;
        _stripsAccents = normalizer is not null && (normalizer.StripAccents ?? normalizer.Lowercase);
        for (int c = 0; c < 128; c++)
        {
            _asciiClass[c] = UnicodeData.IsWhitespace(c) ? Space : BertPreTokenizer.IsBertPunctuation(c) ? Punct : WordChar;
            _ = Expansion((char)c);
        }
    }

    /// <summary>
    /// Tokenizes <paramref name="text"/> into <paramref name="buf"/> (offsets: UTF-16 units of the text, which are
    /// code points since the text has no surrogates), keeping whole words while fewer than <paramref name="limit"/>
    /// tokens were produced (the general pipeline's early cut). False: the text needs the general pipeline.
    /// </summary>
    public bool TryEncode(string text, int limit, TokenBuffer buf)
    {
        var src = text.AsSpan();
        buf.Clear();
        if (src.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0) return false;
        if (!Normalize(src, buf)) return false;
        var chars = buf.Text;
        int n = buf.TextLength;
        int wordStart = -1;
        for (int i = 0; i < n; i++)
        {
            char c = chars[i];
            byte cls = c < 0x80 ? _asciiClass[c] : UnicodeData.IsWhitespace(c) ? Space : UnicodeData.Is(c, UnicodeData.Punctuation) ? Punct : WordChar;
            if (cls == WordChar)
            {
                if (wordStart < 0) wordStart = i;
                continue;
            }
            if (wordStart >= 0)
            {
                if (buf.Count >= limit && buf.StopAt(ref limit)) return buf.Finish();
                Word(wordStart, i, buf);
                wordStart = -1;
            }
            if (cls == Punct)
            {
                if (buf.Count >= limit && buf.StopAt(ref limit)) return buf.Finish();
                Word(i, i + 1, buf);
            }
        }
        if (wordStart >= 0 && (buf.Count < limit || !buf.StopAt(ref limit))) Word(wordStart, n, buf);
        return buf.Finish();
    }

    private void Word(int start, int end, TokenBuffer buf)
    {
        int first = buf.Count;
        _model.TokenizeInto(buf.Text.AsSpan(start, end - start), buf);
        buf.MapPieceToOriginal(first, start);
    }

    /// <summary>Normalizes into buf.Text with each unit's original index in buf.Origin; false if a char is unsafe.</summary>
    private bool Normalize(ReadOnlySpan<char> src, TokenBuffer buf)
    {
        buf.EnsureText(src.Length + 16);
        var chars = buf.Text;
        var origin = buf.Origin;
        int len = 0;
        for (int i = 0; i < src.Length; i++)
        {
            char c = src[i];
            string exp = _expansion[c] ?? Expansion(c);
            if (exp.Length == 1)
            {
                if (ReferenceEquals(exp, Unsafe)) return false;
                if (len == chars.Length)
                {
                    buf.EnsureText(len + 1 + src.Length - i);
                    chars = buf.Text;
                    origin = buf.Origin;
                }
                chars[len] = exp[0];
                origin[len++] = i;
                continue;
            }
            if (len + exp.Length > chars.Length)
            {
                buf.EnsureText(len + exp.Length + src.Length - i);
                chars = buf.Text;
                origin = buf.Origin;
            }
            foreach (char e in exp)
            {
                chars[len] = e;
                origin[len++] = i;
            }
        }
        buf.TextLength = len;
        return true;
    }

    /// <summary>What the normalizer makes of <paramref name="c"/> alone (cached), or <see cref="Unsafe"/>.</summary>
    private string Expansion(char c)
    {
        string result;
        if (char.IsSurrogate(c) || c == '\uFFFF')
        {
            result = Unsafe;
        }
        else if (_normalizer is null)
        {
            result = c.ToString();
        }
        else if (_stripsAccents && !ReorderSafe(c))
        {
            result = Unsafe;
        }
        else
        {
            var ns = new NormalizedString(c.ToString());
            _normalizer.Normalize(ns);
            result = ns.ToString();
            if (result.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 || result == Unsafe) result = Unsafe;
        }
        _expansion[c] = result;
        return result;
    }

    /// <summary>True when no char of c's canonical decomposition both has a combining class and survives accent stripping.</summary>
    private static bool ReorderSafe(char c)
    {
        var parts = new List<int>(4);
        if (!UnicodeData.TryDecompose(c, false, parts)) parts.Add(c);
        foreach (int cp in parts)
            if (UnicodeData.Ccc(cp) != 0 && !UnicodeData.Is(cp, UnicodeData.NonspacingMark)) return false;
        return true;
    }
}
