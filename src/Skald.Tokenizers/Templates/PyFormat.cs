using System.Collections;
using System.Globalization;
using System.Text;

namespace Skald.Tokenizers.Templates;

/// <summary>
/// Python's <c>str()</c> and <c>repr()</c> of template values, as Jinja prints them: None, True/False, ints, floats in
/// Python's shortest round-trip form (<c>1.0</c>, <c>1e-05</c>, <c>1e+16</c>), lists <c>['a', 1]</c>, tuples, dicts
/// <c>{'k': 'v'}</c>; an undefined value prints as the empty string.
/// </summary>
internal static class PyFormat
{
    /// <summary>Python <c>str(value)</c> (Undefined → "").</summary>
    public static string Str(object? value) => value switch
    {
        string s => s,
        null => "None",
        Undefined => "",
        _ => Repr(value),
    };

    /// <summary>Python <c>repr(value)</c>.</summary>
    public static string Repr(object? value)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, value);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null: sb.Append("None"); break;
            case Undefined: break;
            case bool b: sb.Append(b ? "True" : "False"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(Float(d)); break;
            case string s: AppendStringRepr(sb, s); break;
            case object?[] tuple:
                sb.Append('(');
                for (int i = 0; i < tuple.Length; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, tuple[i]);
                }
                sb.Append(tuple.Length == 1 ? ",)" : ")");
                break;
            case List<object?> list:
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, list[i]);
                }
                sb.Append(']');
                break;
            case Dictionary<string, object?> dict:
                sb.Append('{');
                bool first = true;
                foreach (var (k, v) in dict)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendStringRepr(sb, k);
                    sb.Append(": ");
                    AppendRepr(sb, v);
                }
                sb.Append('}');
                break;
            case TemplateNamespace ns:
                sb.Append("<Namespace ");
                AppendRepr(sb, ns.Attributes);
                sb.Append('>');
                break;
            case Macro m: sb.Append("<Macro '").Append(m.Definition.Text).Append("'>"); break;
            case BoundMethod bm: sb.Append("<built-in method ").Append(bm.Name).Append('>'); break;
            case TemplateFunction f: sb.Append("<function ").Append(f.Name).Append('>'); break;
            default: sb.Append(value.ToString()); break;
        }
    }

    private static void AppendStringRepr(StringBuilder sb, string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        foreach (char c in s)
        {
            if (c == quote || c == '\\') sb.Append('\\').Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        sb.Append(quote);
    }

    /// <summary>Python's <c>repr(float)</c>: shortest round-trip digits, scientific below 1e-4 and from 1e16.</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // Find the shortest digit string that round-trips, as Python does.
        string shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        ParseDigits(shortest, out string digits, out int pointPos);
        var sb = new StringBuilder();
        if (d < 0) sb.Append('-');
        int exp = pointPos - 1;
        if (exp < -4 || exp >= 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (pointPos <= 0) sb.Append("0.").Append('0', -pointPos).Append(digits);
        else if (pointPos >= digits.Length) sb.Append(digits).Append('0', pointPos - digits.Length).Append(".0");
        else sb.Append(digits, 0, pointPos).Append('.').Append(digits, pointPos, digits.Length - pointPos);
        return sb.ToString();
    }

    /// <summary>Splits a positive invariant number string into significant digits and the decimal point position.</summary>
    private static void ParseDigits(string s, out string digits, out int pointPos)
    {
        int exp = 0;
        int e = s.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exp = int.Parse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            s = s[..e];
        }
        int dot = s.IndexOf('.');
        string intPart = dot < 0 ? s : s[..dot];
        string frac = dot < 0 ? "" : s[(dot + 1)..];
        string all = intPart + frac;
        int point = intPart.Length + exp;
        int lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0') lead++;
        all = all[lead..];
        point -= lead;
        digits = all.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        pointPos = point;
    }

    /// <summary>Python's type name of a value, for error messages.</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        object?[] => "tuple",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        TemplateNamespace => "Namespace",
        LoopInfo => "LoopContext",
        Macro => "Macro",
        BoundMethod or TemplateFunction => "function",
        IEnumerable => "sequence",
        _ => value.GetType().Name,
    };
}
