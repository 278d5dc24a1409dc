using System.Globalization;
using System.Text;

namespace Skald.Tokenizers.Templates;

/// <summary>
/// Backslash escapes in template string literals as Jinja decodes them (Python's <c>unicode-escape</c>): \n \t \r \\
/// \' \" \a \b \f \v, octal \ooo, \xHH, \uXXXX, \UXXXXXXXX; an unknown escape keeps its backslash.
/// </summary>
internal static class PythonEscapes
{
    /// <summary>Decodes the escape whose letter is at <paramref name="i"/> (just after the backslash); returns the next position.</summary>
    public static int Unescape(string s, int i, StringBuilder sb)
    {
        char e = s[i];
        switch (e)
        {
            case 'n': sb.Append('\n'); return i + 1;
            case 't': sb.Append('\t'); return i + 1;
            case 'r': sb.Append('\r'); return i + 1;
            case '\\': sb.Append('\\'); return i + 1;
            case '\'': sb.Append('\''); return i + 1;
            case '"': sb.Append('"'); return i + 1;
            case 'a': sb.Append('\a'); return i + 1;
            case 'b': sb.Append('\b'); return i + 1;
            case 'f': sb.Append('\f'); return i + 1;
            case 'v': sb.Append('\v'); return i + 1;
            case '\n': return i + 1;
            case 'x': return Hex(s, i, 2, sb);
            case 'u': return Hex(s, i, 4, sb);
            case 'U': return Hex(s, i, 8, sb);
        }
        if (e is >= '0' and <= '7')
        {
            int j = i, v = 0;
            while (j < s.Length && j < i + 3 && s[j] is >= '0' and <= '7') v = v * 8 + (s[j++] - '0');
            sb.Append((char)v);
            return j;
        }
        sb.Append('\\').Append(e);
        return i + 1;
    }

    private static int Hex(string s, int i, int n, StringBuilder sb)
    {
        if (i + 1 + n > s.Length || !int.TryParse(s.AsSpan(i + 1, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v))
        {
            sb.Append('\\').Append(s[i]);
            return i + 1;
        }
        sb.Append(char.ConvertFromUtf32(v));
        return i + 1 + n;
    }
}
