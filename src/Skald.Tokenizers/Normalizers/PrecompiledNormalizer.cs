using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Normalizers;

/// <summary>
/// HF's Precompiled normalizer: SentencePiece's compiled normalization map (a Darts double-array
/// trie over UTF-8 keys plus a blob of NUL-terminated replacements). Applied per extended grapheme
/// cluster: a cluster shorter than 6 UTF-8 bytes is looked up whole (first, i.e. shortest, prefix
/// match), otherwise, or when that fails, char by char — exactly as HF tokenizers does.
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/normalizers/precompiled.rs</remarks>
internal sealed class PrecompiledNormalizer : INormalizer
{
    private readonly uint[] _trie;
    private readonly byte[] _normalized;
    private readonly string?[] _bmpCache = new string?[0x10000];
    private readonly bool[] _bmpKnown = new bool[0x10000];

    /// <summary>Parses the charsmap blob; throws <see cref="FormatException"/> if malformed.</summary>
    public PrecompiledNormalizer(byte[] blob)
    {
        if (blob.Length < 4) throw new FormatException("precompiled_charsmap is too short");
        uint trieSize = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieSize % 4 != 0 || 4 + (long)trieSize > blob.Length) throw new FormatException("precompiled_charsmap has a bad trie size");
        _trie = new uint[trieSize / 4];
        for (int i = 0; i < _trie.Length; i++) _trie[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4 + i * 4));
        _normalized = blob.AsSpan(4 + (int)trieSize).ToArray();
        if (_trie.Length == 0) throw new FormatException("precompiled_charsmap has an empty trie");
    }

    /// <summary>Replacement for <paramref name="chunk"/> (shortest prefix match, as HF), or null.</summary>
    internal string? Transform(ReadOnlySpan<char> chunk)
    {
        if (chunk.Length == 1)
        {
            char c = chunk[0];
            if (_bmpKnown[c]) return _bmpCache[c];
            var r = Lookup(chunk);
            _bmpCache[c] = r;
            _bmpKnown[c] = true;
            return r;
        }
        return Lookup(chunk);
    }

    private string? Lookup(ReadOnlySpan<char> chunk)
    {
        Span<byte> buf = stackalloc byte[64];
        byte[]? rented = null;
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(chunk.Length);
        if (max > buf.Length) buf = rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            int n = System.Text.Encoding.UTF8.GetBytes(chunk, buf);
            int value = FirstPrefixValue(buf[..n]);
            if (value < 0) return null;
            int end = value;
            while (end < _normalized.Length && _normalized[end] != 0) end++;
            return System.Text.Encoding.UTF8.GetString(_normalized, value, end - value);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private int FirstPrefixValue(ReadOnlySpan<byte> key)
    {
        uint nodePos = 0;
        uint unit = _trie[0];
        nodePos ^= Offset(unit);
        foreach (byte c in key)
        {
            if (c == 0) break;
            nodePos ^= c;
            if (nodePos >= _trie.Length) return -1;
            unit = _trie[nodePos];
            if (Label(unit) != c) return -1;
            nodePos ^= Offset(unit);
            if (HasLeaf(unit))
            {
                if (nodePos >= _trie.Length) return -1;
                return (int)Value(_trie[nodePos]);
            }
        }
        return -1;
    }

    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;
    private static uint Value(uint unit) => unit & ((1u << 31) - 1);
    private static uint Label(uint unit) => unit & ((1u << 31) | 0xFF);
    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    /// <inheritdoc/>
    public void Normalize(NormalizedString ns)
    {
        var text = ns.Span;
        List<(int Cp, int Change)>? transforms = null;
        int pos = 0;
        while (pos < text.Length)
        {
            int glen = StringInfo.GetNextTextElementLength(text[pos..]);
            if (glen <= 0) glen = 1;
            var g = text.Slice(pos, glen);
            string? norm = null;
            if (glen == 1 || TextUtil.Utf8Length(g) < 6) norm = Transform(g);
            if (norm is not null)
            {
                transforms ??= Prefix(ns, pos);
                Replace(transforms, TextUtil.CodePoints(g), norm);
            }
            else
            {
                for (int i = 0; i < glen;)
                {
                    int w = char.IsHighSurrogate(g[i]) && i + 1 < glen && char.IsLowSurrogate(g[i + 1]) ? 2 : 1;
                    var part = g.Slice(i, w);
                    var pn = Transform(part);
                    if (pn is not null)
                    {
                        transforms ??= Prefix(ns, pos + i);
                        Replace(transforms, 1, pn);
                    }
                    else
                    {
                        transforms?.Add((w == 2 ? char.ConvertToUtf32(part[0], part[1]) : part[0], 0));
                    }
                    i += w;
                }
            }
            pos += glen;
        }
        if (transforms is null) return;
        var t = ns.BeginTransform();
        foreach (var (cp, ch) in transforms) t.Emit(cp, ch);
        t.Commit();
    }

    private static List<(int Cp, int Change)> Prefix(NormalizedString ns, int upTo)
    {
        var list = new List<(int Cp, int Change)>(ns.Length + 8);
        for (int i = 0; i < upTo;)
        {
            list.Add((ns.CodePointAt(i, out int w), 0));
            i += w;
        }
        return list;
    }

    private static void Replace(List<(int Cp, int Change)> transforms, int oldCount, string replacement)
    {
        int newCount = 0;
        foreach (Rune r in replacement.EnumerateRunes())
        {
            transforms.Add((r.Value, 0));
            newCount++;
        }
        int diff = newCount - oldCount;
        if (diff > 0)
        {
            for (int k = 0; k < diff; k++)
                transforms[transforms.Count - 1 - k] = (transforms[^(k + 1)].Cp, 1);
        }
        else if (diff < 0 && transforms.Count > 0)
        {
            transforms[^1] = (transforms[^1].Cp, transforms[^1].Change + diff);
        }
    }
}
