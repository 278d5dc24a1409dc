namespace Skald.Tokenizers.Normalizers;

/// <summary>Helpers shared by components.</summary>
internal static class TextUtil
{
    /// <summary>Number of code points in <paramref name="s"/>.</summary>
    public static int CodePoints(ReadOnlySpan<char> s)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            n++;
        }
        return n;
    }

    /// <summary>UTF-8 byte length of <paramref name="s"/>.</summary>
    public static int Utf8Length(ReadOnlySpan<char> s) => System.Text.Encoding.UTF8.GetByteCount(s);
}
