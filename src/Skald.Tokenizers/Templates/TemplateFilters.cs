using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Skald.Tokenizers.Templates;

/// <summary>
/// The filters real chat templates use, following jinja2/filters.py (3.1) and Hugging Face's <c>tojson</c>: trim,
/// tojson, length/count, upper, lower, capitalize, title, replace, join, default/d, first, last, items, list, string,
/// int, float, abs, round, indent, safe, reverse, sort, unique, dictsort, sum, min, max, select/reject,
/// selectattr/rejectattr, map, attr, escape/e.
/// </summary>
internal static partial class TemplateFilters
{
    /// <summary>The names this subset supports (anything else fails when the template is loaded).</summary>
    public static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "trim", "tojson", "length", "count", "upper", "lower", "capitalize", "title", "replace", "join", "default", "d",
        "first", "last", "items", "list", "string", "int", "float", "abs", "round", "indent", "safe", "reverse", "sort",
        "unique", "dictsort", "sum", "min", "max", "select", "reject", "selectattr", "rejectattr", "map", "attr", "escape",
        "e", "forceescape",
    };

    /// <summary>Applies filter <paramref name="name"/> to <paramref name="value"/>.</summary>
    public static object? Apply(string name, object? value, List<object?> args, Dictionary<string, object?> kw)
    {
        switch (name)
        {
            case "trim":
                string? chars = TemplateArgs.String(args, kw, 0, "chars");
                return chars is null ? PyFormat.Str(value).Trim() : PyFormat.Str(value).Trim(chars.ToCharArray());
            case "tojson": return ToJson(value, args, kw);
            case "length":
            case "count": return PyOps.Length(value);
            case "upper": return PyFormat.Str(value).ToUpperInvariant();
            case "lower": return PyFormat.Str(value).ToLowerInvariant();
            case "capitalize": return TemplateMethods.Capitalize(PyFormat.Str(value));
            case "title": return Title(PyFormat.Str(value));
            case "replace":
                return TemplateMethods.Replace(PyFormat.Str(value), PyFormat.Str(TemplateArgs.Get(args, kw, 0, "old", "")),
                    PyFormat.Str(TemplateArgs.Get(args, kw, 1, "new", "")), TemplateArgs.Int(args, kw, 2, "count", -1));
            case "join": return Join(value, args, kw);
            case "default":
            case "d":
                bool boolean = TemplateArgs.Bool(args, kw, 1, "boolean");
                bool useDefault = value is Undefined || (boolean && !PyOps.Truthy(value));
                return useDefault ? TemplateArgs.Get(args, kw, 0, "default_value", "") : value;
            case "first":
                var f = PyOps.Iterate(value);
                return f.Count > 0 ? f[0] : new Undefined("the sequence is empty (first)");
            case "last":
                var lst = PyOps.Iterate(value);
                return lst.Count > 0 ? lst[^1] : new Undefined("the sequence is empty (last)");
            case "items":
                if (value is Undefined) return new List<object?>();
                if (value is not Dictionary<string, object?> dict) throw new TemplateRuntimeException($"items: expected a dict, not a {PyFormat.TypeName(value)}");
                return dict.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList();
            case "list": return PyOps.Iterate(value);
            case "string": return PyFormat.Str(value);
            case "int": return ToInt(value, TemplateArgs.Get(args, kw, 0, "default", 0L));
            case "float": return ToFloat(value, TemplateArgs.Get(args, kw, 0, "default", 0.0));
            case "abs":
                return value switch
                {
                    long l => (object)Math.Abs(l),
                    double x => (object)Math.Abs(x),
                    bool b => (object)(b ? 1L : 0L),
                    _ => throw new TemplateRuntimeException($"abs: a {PyFormat.TypeName(value)} is not a number"),
                };
            case "round": return Round(value, args, kw);
            case "indent": return Indent(PyFormat.Str(value), args, kw);
            case "safe": return value;
            case "reverse":
                if (value is string rs) return string.Concat(Enumerable.Reverse(PyOps.Chars(rs)).Select(c => (string)c!));
                var rev = PyOps.Iterate(value);
                rev.Reverse();
                return rev;
            case "sort": return SequenceFilters.Sort(value, args, kw);
            case "unique": return SequenceFilters.Unique(value, args, kw);
            case "dictsort": return SequenceFilters.DictSort(value, args, kw);
            case "sum": return SequenceFilters.Sum(value, args, kw);
            case "min": return SequenceFilters.MinMax(value, args, kw, min: true);
            case "max": return SequenceFilters.MinMax(value, args, kw, min: false);
            case "select": return SequenceFilters.Select(value, args, kw, attribute: false, keep: true);
            case "reject": return SequenceFilters.Select(value, args, kw, attribute: false, keep: false);
            case "selectattr": return SequenceFilters.Select(value, args, kw, attribute: true, keep: true);
            case "rejectattr": return SequenceFilters.Select(value, args, kw, attribute: true, keep: false);
            case "map": return SequenceFilters.Map(value, args, kw);
            case "attr": return Attr(value, PyFormat.Str(TemplateArgs.Get(args, kw, 0, "name", "")));
            case "escape":
            case "e":
            case "forceescape": return HtmlEscape(PyFormat.Str(value));
        }
        throw new TemplateRuntimeException($"the filter '{name}' is not supported");
    }

    private static string ToJson(object? value, List<object?> args, Dictionary<string, object?> kw)
    {
        var indent = TemplateArgs.Get(args, kw, 1, "indent");
        (string, string)? seps = null;
        if (TemplateArgs.Get(args, kw, 2, "separators") is IList<object?> { Count: 2 } s)
            seps = (PyFormat.Str(s[0]), PyFormat.Str(s[1]));
        bool sortKeys = TemplateArgs.Bool(args, kw, 3, "sort_keys");
        bool ensureAscii = TemplateArgs.Bool(args, kw, 0, "ensure_ascii");
        return PyJson.Dumps(value, indent, seps, sortKeys, ensureAscii);
    }

    /// <summary>jinja2's attr filter: the Python attribute only (a method), never an item of a dict or list.</summary>
    private static object? Attr(object? value, string name) => value switch
    {
        Dictionary<string, object?> or List<object?> or string when TemplateMethods.IsMethod(value, name) => new BoundMethod(value, name),
        Dictionary<string, object?> or List<object?> or string => new Undefined($"'{PyFormat.TypeName(value)} object' has no attribute '{name}'"),
        _ => ExpressionEvaluator.GetAttr(value, name),
    };

    /// <summary>markupsafe's escape: &amp; &lt; &gt; " ' as entities (printed as text: the environment does not autoescape).</summary>
    private static string HtmlEscape(string s) =>
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginning();

    private static string Title(string s)
    {
        var sb = new StringBuilder();
        foreach (string item in WordBeginning().Split(s))
        {
            if (item.Length == 0) continue;
            sb.Append(char.ToUpperInvariant(item[0])).Append(item[1..].ToLowerInvariant());
        }
        return sb.ToString();
    }

    private static string Join(object? value, List<object?> args, Dictionary<string, object?> kw)
    {
        string sep = TemplateArgs.String(args, kw, 0, "d", "")!;
        var attribute = TemplateArgs.Get(args, kw, 1, "attribute");
        var items = PyOps.Iterate(value);
        if (attribute is not null) items = items.Select(i => SequenceFilters.Attribute(i, attribute)).ToList();
        return string.Join(sep, items.Select(PyFormat.Str));
    }

    private static object? ToInt(object? value, object? fallback)
    {
        switch (value)
        {
            case long l: return l;
            case bool b: return b ? 1L : 0L;
            case double d when !double.IsNaN(d) && !double.IsInfinity(d): return (long)Math.Truncate(d);
            case string s:
                string t = s.Trim().Replace("_", "");
                if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long i)) return i;
                if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && !double.IsInfinity(x) && !double.IsNaN(x))
                    return (long)Math.Truncate(x);
                return fallback;
        }
        return fallback;
    }

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        long l => (double)l,
        double d => d,
        bool b => b ? 1.0 : 0.0,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double x) => x,
        _ => fallback,
    };

    private static double Round(object? value, List<object?> args, Dictionary<string, object?> kw)
    {
        double x = value switch
        {
            long l => l,
            double d => d,
            bool b => b ? 1 : 0,
            _ => throw new TemplateRuntimeException($"round: a {PyFormat.TypeName(value)} is not a number"),
        };
        int precision = (int)TemplateArgs.Int(args, kw, 0, "precision", 0);
        string method = TemplateArgs.String(args, kw, 1, "method", "common")!;
        double scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => Math.Round(x, Math.Clamp(precision, 0, 15), MidpointRounding.ToEven),
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw new TemplateRuntimeException("round: method must be 'common', 'ceil' or 'floor'"),
        };
    }

    private static string Indent(string s, List<object?> args, Dictionary<string, object?> kw)
    {
        var width = TemplateArgs.Get(args, kw, 0, "width", 4L);
        string indention = width is string ws ? ws : new string(' ', (int)Math.Max(0, width is long w ? w : 4));
        bool first = TemplateArgs.Bool(args, kw, 1, "first");
        bool blank = TemplateArgs.Bool(args, kw, 2, "blank");
        var lines = TemplateMethods.SplitLines(s + "\n");
        string rv;
        if (blank) rv = string.Join("\n" + indention, lines);
        else
        {
            rv = lines.Count > 0 ? lines[0] : "";
            if (lines.Count > 1) rv += "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? indention + l : l));
        }
        return first ? indention + rv : rv;
    }
}
