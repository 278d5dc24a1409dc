using System.IO.Compression;
using System.Runtime.CompilerServices;

namespace Skald.Tokenizers.Unicode;

/// <summary>
/// Character properties exactly as Hugging Face tokenizers sees them (generated from the oracle by
/// fixtures/tokenizers/unicode/; .NET's invariant-globalization mode has no normalization and a
/// different Unicode version, so nothing here relies on the runtime's tables).
/// </summary>
internal static class UnicodeData
{
    /// <summary>Removed by BERT clean_text (NUL, U+FFFD, general category C* except \t \n \r).</summary>
    public const int Other = 1;
    /// <summary>BERT punctuation (ASCII punctuation or Unicode P*).</summary>
    public const int Punctuation = 2;
    /// <summary>Removed by HF's StripAccents normalizer (combining marks).</summary>
    public const int CombiningMark = 4;
    /// <summary>Rust's char::is_whitespace (Unicode White_Space).</summary>
    public const int Whitespace = 8;
    /// <summary>Regex \w (Unicode word character).</summary>
    public const int Word = 16;
    /// <summary>Mapped to ' ' by BERT clean_text (\t, \n, \r or White_Space).</summary>
    public const int BertWhitespace = 32;
    /// <summary>Has a lowercase mapping different from itself.</summary>
    public const int HasLower = 64;
    /// <summary>Has a canonical decomposition (Hangul syllables included).</summary>
    public const int HasNfd = 128;
    /// <summary>Has a compatibility decomposition (Hangul syllables included).</summary>
    public const int HasNfkd = 256;
    /// <summary>Removed by BertNormalizer's strip_accents after NFD (nonspacing marks, Mn).</summary>
    public const int NonspacingMark = 512;

    private const int HangulBase = 0xAC00, HangulCount = 11172, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int VCount = 21, TCount = 28, NCount = VCount * TCount;

    private static readonly ushort[] Stage1 = new ushort[0x110000 >> 8];
    private static readonly ushort[][] Blocks;
    private static readonly Dictionary<int, int[]> LowerMap = [];
    private static readonly Dictionary<int, int[]> NfdMap = [];
    private static readonly Dictionary<int, int[]> NfkdMap = [];
    private static readonly Dictionary<int, byte> CccMap = [];
    private static readonly Dictionary<long, int> Compositions = [];

    static UnicodeData()
    {
        using var res = typeof(UnicodeData).Assembly.GetManifestResourceStream("Skald.Tokenizers.unicode-tables.bin")
            ?? throw new InvalidOperationException("Skald.Tokenizers: embedded unicode tables are missing");
        using var inflate = new DeflateStream(res, CompressionMode.Decompress);
        using var ms = new MemoryStream();
        inflate.CopyTo(ms);
        var bytes = ms.ToArray();
        if (bytes.Length < 4 || bytes[0] != 'S' || bytes[1] != 'K' || bytes[2] != 'U' || bytes[3] != '1')
            throw new InvalidOperationException("Skald.Tokenizers: bad unicode tables");
        int pos = 4;
        int Next() { int v = BitConverter.ToInt32(bytes, pos); pos += 4; return v; }

        var flags = new ushort[0x110000];
        int runs = Next();
        var starts = new int[runs];
        var values = new int[runs];
        for (int i = 0; i < runs; i++) { starts[i] = Next(); values[i] = Next(); }
        for (int i = 0; i < runs; i++)
        {
            int end = i + 1 < runs ? starts[i + 1] : 0x110000;
            for (int cp = starts[i]; cp < end; cp++) flags[cp] = (ushort)values[i];
        }
        ReadMap(LowerMap, flags, HasLower);
        ReadMap(NfdMap, flags, HasNfd);
        ReadMap(NfkdMap, flags, HasNfkd);
        for (int cp = HangulBase; cp < HangulBase + HangulCount; cp++) flags[cp] |= HasNfd | HasNfkd;
        int ccc = Next();
        for (int i = 0; i < ccc; i++) { int cp = Next(); CccMap[cp] = (byte)Next(); }
        int comps = Next();
        for (int i = 0; i < comps; i++) { int a = Next(), b = Next(), c = Next(); Compositions[((long)a << 21) | (uint)b] = c; }

        // Two-stage table with shared blocks.
        var blocks = new List<ushort[]>();
        var index = new Dictionary<string, ushort>();
        for (int b = 0; b < Stage1.Length; b++)
        {
            var block = flags.AsSpan(b << 8, 256).ToArray();
            string key = Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(block.AsSpan()));
            if (!index.TryGetValue(key, out ushort id))
            {
                id = (ushort)blocks.Count;
                blocks.Add(block);
                index[key] = id;
            }
            Stage1[b] = id;
        }
        Blocks = [.. blocks];

        void ReadMap(Dictionary<int, int[]> map, ushort[] f, int flag)
        {
            int n = Next();
            for (int i = 0; i < n; i++)
            {
                int cp = Next();
                int len = Next();
                var cps = new int[len];
                for (int k = 0; k < len; k++) cps[k] = Next();
                map[cp] = cps;
                f[cp] |= (ushort)flag;
            }
        }
    }

    /// <summary>Property flags of a code point (see the constants).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Flags(int cp) => (uint)cp < 0x110000 ? Blocks[Stage1[cp >> 8]][cp & 0xFF] : 0;

    /// <summary>Whether all of <paramref name="flag"/> are set for <paramref name="cp"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Is(int cp, int flag) => (Flags(cp) & flag) != 0;

    /// <summary>Rust's char::is_whitespace.</summary>
    public static bool IsWhitespace(int cp) => cp == ' ' || (cp > 0x7F || cp is >= 9 and <= 13) && Is(cp, Whitespace);

    /// <summary>Lowercase of <paramref name="cp"/> (Rust's char::to_lowercase, may be several chars), or null if unchanged.</summary>
    public static int[]? Lower(int cp)
    {
        if (cp < 0x80) return null;
        return Is(cp, HasLower) ? LowerMap[cp] : null;
    }

    /// <summary>Canonical combining class.</summary>
    public static int Ccc(int cp) => cp < 0x300 ? 0 : CccMap.TryGetValue(cp, out byte c) ? c : 0;

    /// <summary>Appends the full decomposition (canonical or compatibility) of <paramref name="cp"/>; false if none.</summary>
    public static bool TryDecompose(int cp, bool compat, List<int> output)
    {
        if (cp < 0xA0) return false;
        if (!Is(cp, compat ? HasNfkd : HasNfd)) return false;
        int s = cp - HangulBase;
        if ((uint)s < HangulCount)
        {
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            int t = s % TCount;
            if (t != 0) output.Add(TBase + t);
            return true;
        }
        output.AddRange((compat ? NfkdMap : NfdMap)[cp]);
        return true;
    }

    /// <summary>Primary composite of <paramref name="a"/> + <paramref name="b"/>, or -1.</summary>
    public static int Compose(int a, int b)
    {
        int l = a - LBase;
        if ((uint)l < 19)
        {
            int v = b - VBase;
            return (uint)v < VCount ? HangulBase + (l * VCount + v) * TCount : -1;
        }
        int s = a - HangulBase;
        if ((uint)s < HangulCount && s % TCount == 0)
        {
            int t = b - TBase;
            return t > 0 && t < TCount ? a + t : -1;
        }
        return Compositions.TryGetValue(((long)a << 21) | (uint)b, out int c) ? c : -1;
    }
}
