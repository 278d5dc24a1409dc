using System.Globalization;
using System.Text;

namespace Skald.Tokenizers.Templates;

/// <summary>
/// Splits a Jinja template into data and tag tokens with Hugging Face's whitespace settings (<c>trim_blocks</c> and
/// <c>lstrip_blocks</c> on), the <c>-</c>/<c>+</c> whitespace-control markers, comments and <c>{% raw %}</c> blocks,
/// following jinja2/lexer.py (3.1): lstrip removes spaces and tabs between a line start and a block or comment tag;
/// trim removes the first newline after a block or comment tag; <c>-</c> strips all whitespace on that side.
/// </summary>
internal sealed class TemplateLexer
{
    private readonly string _src;
    private readonly List<TemplateToken> _tokens = new();
    private int _pos;
    private bool _lineStarting = true;

    private TemplateLexer(string source) => _src = source;

    /// <summary>Tokenizes a whole template already passed through <see cref="Normalize"/>.</summary>
    public static List<TemplateToken> Tokenize(string normalizedSource)
    {
        var lexer = new TemplateLexer(normalizedSource);
        lexer.Run();
        return lexer._tokens;
    }

    /// <summary>
    /// The normalized source the token positions refer to: line ends become "\n" and one trailing newline is dropped,
    /// as Jinja does without keep_trailing_newline.
    /// </summary>
    public static string Normalize(string source)
    {
        string s = source.Replace("\r\n", "\n").Replace('\r', '\n');
        return s.EndsWith('\n') ? s[..^1] : s;
    }

    private void Run()
    {
        while (_pos <= _src.Length)
        {
            int tag = FindTagStart(_pos);
            string text = _src[_pos..(tag < 0 ? _src.Length : tag)];
            int textPos = _pos;
            if (tag < 0)
            {
                AddData(text, textPos);
                break;
            }
            char type = _src[tag + 1];
            char sign = tag + 2 < _src.Length ? _src[tag + 2] : '\0';
            bool isBlockOrComment = type != '{';
            if (sign == '-') text = text.TrimEnd();
            else if (sign != '+' && isBlockOrComment) text = LStrip(text);
            int afterOpen = tag + 2 + (sign is '-' or '+' ? 1 : 0);
            if (type == '%' && IsRawBegin(afterOpen, out int rawBodyStart))
            {
                AddData(text, textPos);
                LexRaw(rawBodyStart);
                continue;
            }
            AddData(text, textPos);
            if (type == '#') { SkipComment(tag, afterOpen); continue; }
            _tokens.Add(new TemplateToken(type == '{' ? TemplateTokenKind.VariableBegin : TemplateTokenKind.BlockBegin,
                _src.Substring(tag, 2), tag));
            _pos = afterOpen;
            LexTag(type == '{');
        }
        _tokens.Add(new TemplateToken(TemplateTokenKind.End, "", _src.Length));
    }


    private int FindTagStart(int from)
    {
        for (int i = from; i + 1 < _src.Length; i++)
            if (_src[i] == '{' && _src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    private string LStrip(string text)
    {
        int lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !_lineStarting) return text;
        if (lineStart == text.Length) return text;
        for (int i = lineStart; i < text.Length; i++)
            if (!char.IsWhiteSpace(text[i])) return text;
        return text[..lineStart];
    }

    private void AddData(string text, int pos)
    {
        if (text.Length > 0) _tokens.Add(new TemplateToken(TemplateTokenKind.Data, text, pos, text));
    }

    /// <summary>Consumes a tag end at <paramref name="i"/> (after any '-' or '+'), applying trim rules; returns the new position.</summary>
    private int CloseTag(int i, char sign, bool trimNewline)
    {
        if (sign == '-')
        {
            int j = i;
            while (j < _src.Length && char.IsWhiteSpace(_src[j])) j++;
            _lineStarting = j > i && _src[j - 1] == '\n';
            return j;
        }
        if (sign != '+' && trimNewline && i < _src.Length && _src[i] == '\n')
        {
            _lineStarting = true;
            return i + 1;
        }
        _lineStarting = false;
        return i;
    }

    private void SkipComment(int tag, int from)
    {
        int end = _src.IndexOf("#}", from, StringComparison.Ordinal);
        if (end < 0) throw Error(tag, "the comment is not closed ('#}' missing)");
        char sign = end > from && _src[end - 1] is '-' or '+' ? _src[end - 1] : '\0';
        _pos = CloseTag(end + 2, sign, true);
    }

    private bool IsRawBegin(int i, out int bodyStart)
    {
        bodyStart = 0;
        int j = SkipSpaces(i);
        if (string.CompareOrdinal(_src, j, "raw", 0, 3) != 0) return false;
        j = SkipSpaces(j + 3);
        if (j < _src.Length && _src[j] == '-' && string.CompareOrdinal(_src, j + 1, "%}", 0, 2) == 0)
        {
            bodyStart = j + 3;
            while (bodyStart < _src.Length && char.IsWhiteSpace(_src[bodyStart])) bodyStart++;
            return true;
        }
        if (string.CompareOrdinal(_src, j, "%}", 0, 2) != 0) return false;
        bodyStart = j + 2; // Jinja does not apply trim_blocks to the raw opening tag
        return true;
    }

    private void LexRaw(int bodyStart)
    {
        for (int i = bodyStart; i + 1 < _src.Length; i++)
        {
            if (_src[i] != '{' || _src[i + 1] != '%') continue;
            int k = i + 2;
            char sign = k < _src.Length && _src[k] is '-' or '+' ? _src[k] : '\0';
            if (sign != '\0') k++;
            k = SkipSpaces(k);
            if (string.CompareOrdinal(_src, k, "endraw", 0, 6) != 0) continue;
            k = SkipSpaces(k + 6);
            char endSign = k < _src.Length && _src[k] is '-' or '+' ? _src[k] : '\0';
            int close = k + (endSign != '\0' ? 1 : 0);
            if (string.CompareOrdinal(_src, close, "%}", 0, 2) != 0) continue;
            string body = _src[bodyStart..i];
            if (sign == '-') body = body.TrimEnd();
            else if (sign != '+') body = LStrip(body);
            AddData(body, bodyStart);
            _pos = CloseTag(close + 2, endSign, true);
            return;
        }
        throw Error(bodyStart, "the {% raw %} block is not closed ('{% endraw %}' missing)");
    }

    private int SkipSpaces(int i)
    {
        while (i < _src.Length && char.IsWhiteSpace(_src[i])) i++;
        return i;
    }

    private void LexTag(bool variable)
    {
        int depth = 0;
        while (true)
        {
            _pos = SkipSpaces(_pos);
            if (_pos >= _src.Length) throw Error(_pos, variable ? "'}}' expected before the end of the template" : "'%}' expected before the end of the template");
            char c = _src[_pos];
            if (depth == 0 && TryEnd(variable)) return;
            if (char.IsLetter(c) || c == '_') { LexName(); continue; }
            if (char.IsAsciiDigit(c)) { LexNumber(); continue; }
            if (c is '\'' or '"') { LexString(c); continue; }
            string op = ReadOperator();
            if (op is "(" or "[" or "{") depth++;
            else if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
            _tokens.Add(new TemplateToken(TemplateTokenKind.Operator, op, _pos));
            _pos += op.Length;
        }
    }

    private bool TryEnd(bool variable)
    {
        string close = variable ? "}}" : "%}";
        char sign = _src[_pos] is '-' or '+' ? _src[_pos] : '\0';
        int at = _pos + (sign != '\0' ? 1 : 0);
        if (string.CompareOrdinal(_src, at, close, 0, 2) != 0) return false;
        if (sign == '+' && variable) return false;
        _tokens.Add(new TemplateToken(variable ? TemplateTokenKind.VariableEnd : TemplateTokenKind.BlockEnd, close, at));
        _pos = CloseTag(at + 2, sign, !variable);
        return true;
    }

    private static readonly string[] Operators =
    {
        "//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}",
        ",", ".", ":", "|",
    };

    private string ReadOperator()
    {
        foreach (string op in Operators)
            if (string.CompareOrdinal(_src, _pos, op, 0, op.Length) == 0) return op;
        throw Error(_pos, $"unexpected character '{_src[_pos]}'");
    }

    private void LexName()
    {
        int start = _pos;
        while (_pos < _src.Length && (char.IsLetterOrDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        _tokens.Add(new TemplateToken(TemplateTokenKind.Name, _src[start.._pos], start));
    }

    private void LexNumber()
    {
        int start = _pos;
        bool isFloat = false;
        while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        if (_pos + 1 < _src.Length && _src[_pos] == '.' && char.IsAsciiDigit(_src[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        }
        if (_pos < _src.Length && _src[_pos] is 'e' or 'E')
        {
            int save = _pos++;
            if (_pos < _src.Length && _src[_pos] is '+' or '-') _pos++;
            if (_pos < _src.Length && char.IsAsciiDigit(_src[_pos]))
            {
                isFloat = true;
                while (_pos < _src.Length && char.IsAsciiDigit(_src[_pos])) _pos++;
            }
            else _pos = save;
        }
        string text = _src[start.._pos].Replace("_", "");
        if (isFloat)
            _tokens.Add(new TemplateToken(TemplateTokenKind.Float, text, start, double.Parse(text, CultureInfo.InvariantCulture)));
        else if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
            _tokens.Add(new TemplateToken(TemplateTokenKind.Integer, text, start, v));
        else throw Error(start, $"the integer {text} is too large");
    }

    private void LexString(char quote)
    {
        int start = _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _src.Length) throw Error(start, "the string literal is not closed");
            char c = _src[_pos++];
            if (c == quote) break;
            if (c != '\\') { sb.Append(c); continue; }
            if (_pos >= _src.Length) throw Error(start, "the string literal is not closed");
            _pos = PythonEscapes.Unescape(_src, _pos, sb);
        }
        _tokens.Add(new TemplateToken(TemplateTokenKind.String, _src[start.._pos], start, sb.ToString()));
    }

    private ChatTemplateException Error(int pos, string message) => TemplateErrors.At(_src, pos, message);
}
