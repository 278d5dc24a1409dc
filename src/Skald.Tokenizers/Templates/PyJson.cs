using System.Globalization;
using System.Text;

namespace Skald.Tokenizers.Templates;

/// <summary>
/// The <c>tojson</c> filter as Hugging Face defines it: Python's <c>json.dumps(x, ensure_ascii=False, indent=indent,
/// separators=separators, sort_keys=sort_keys)</c> — non-ASCII kept, no HTML escaping, separators <c>", "</c> and
/// <c>": "</c> (<c>","</c> and <c>": "</c> with an indent), floats as Python's repr.
/// </summary>
internal static class PyJson
{
    /// <summary>Serializes <paramref name="value"/>; <paramref name="indent"/> is null, a count of spaces or a string.</summary>
    public static string Dumps(object? value, object? indent = null, (string Item, string Key)? separators = null, bool sortKeys = false,
        bool ensureAscii = false)
    {
        string? indentText = indent switch
        {
            null => null,
            long n => new string(' ', (int)Math.Max(0, n)),
            string s => s,
            _ => throw new TemplateRuntimeException($"tojson: indent must be an integer or a string, not a {PyFormat.TypeName(indent)}"),
        };
        var seps = separators ?? (indentText is null ? (", ", ": ") : (",", ": "));
        var sb = new StringBuilder();
        Write(sb, value, indentText, seps, sortKeys, 0);
        return ensureAscii ? EscapeNonAscii(sb.ToString()) : sb.ToString();
    }

    private static void Write(StringBuilder sb, object? v, string? indent, (string Item, string Key) seps, bool sortKeys, int level)
    {
        switch (v)
        {
            case null: sb.Append("null"); return;
            case bool b: sb.Append(b ? "true" : "false"); return;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); return;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyFormat.Float(d));
                return;
            case string s: WriteString(sb, s); return;
            case IList<object?> list:
                if (list.Count == 0) { sb.Append("[]"); return; }
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(seps.Item);
                    NewLine(sb, indent, level + 1);
                    Write(sb, list[i], indent, seps, sortKeys, level + 1);
                }
                NewLine(sb, indent, level);
                sb.Append(']');
                return;
            case Dictionary<string, object?> dict:
                if (dict.Count == 0) { sb.Append("{}"); return; }
                sb.Append('{');
                IEnumerable<KeyValuePair<string, object?>> entries = sortKeys ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal) : dict;
                bool first = true;
                foreach (var (k, item) in entries)
                {
                    if (!first) sb.Append(seps.Item);
                    first = false;
                    NewLine(sb, indent, level + 1);
                    WriteString(sb, k);
                    sb.Append(seps.Key);
                    Write(sb, item, indent, seps, sortKeys, level + 1);
                }
                NewLine(sb, indent, level);
                sb.Append('}');
                return;
            case Undefined u: throw new TemplateRuntimeException($"tojson: {u.Hint}");
        }
        throw new TemplateRuntimeException($"tojson: a {PyFormat.TypeName(v)} is not JSON serializable");
    }

    private static void NewLine(StringBuilder sb, string? indent, int level)
    {
        if (indent is null) return;
        sb.Append('\n');
        for (int i = 0; i < level; i++) sb.Append(indent);
    }

    /// <summary>ensure_ascii=True: every non-ASCII UTF-16 unit as \uXXXX (a surrogate pair as two escapes, as Python writes it).</summary>
    private static string EscapeNonAscii(string json)
    {
        var sb = new StringBuilder(json.Length);
        foreach (char c in json)
        {
            if (c < 0x80) sb.Append(c);
            else sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>A JSON string as Python writes it with ensure_ascii=False.</summary>
    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
