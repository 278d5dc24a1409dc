using System.Text;

namespace Skald.Tokenizers.Templates;

/// <summary>
/// Python semantics of template values: truthiness, equality (1 == 1.0 == True), ordering, arithmetic (int/float,
/// <c>/</c> always float, floor <c>//</c> and <c>%</c> with Python signs), <c>in</c>, iteration and length.
/// </summary>
internal static class PyOps
{
    /// <summary>Python truthiness; Undefined is false.</summary>
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        object?[] t => t.Length > 0,
        List<object?> l => l.Count > 0,
        Dictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    private static bool IsNumber(object? v) => v is bool or long or double;

    private static double AsDouble(object? v) => v switch { bool b => b ? 1 : 0, long l => l, double d => d, _ => 0 };

    private static bool IsIntLike(object? v) => v is bool or long;

    private static long AsLong(object? v) => v switch { bool b => b ? 1 : 0, long l => l, _ => 0 };

    /// <summary>Python <c>==</c>.</summary>
    public static bool Equal(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
            return IsIntLike(a) && IsIntLike(b) ? AsLong(a) == AsLong(b) : AsDouble(a) == AsDouble(b);
        switch (a)
        {
            case null: return b is null;
            case Undefined: return b is Undefined;
            case string s: return b is string t && string.Equals(s, t, StringComparison.Ordinal);
            case List<object?> l: return b is List<object?> m && SequenceEqual(l, m);
            case object?[] tl: return b is object?[] tm && SequenceEqual(tl, tm);
            case Dictionary<string, object?> d:
                if (b is not Dictionary<string, object?> e || d.Count != e.Count) return false;
                foreach (var (k, v) in d)
                    if (!e.TryGetValue(k, out var w) || !Equal(v, w)) return false;
                return true;
        }
        return ReferenceEquals(a, b) || Equals(a, b);
    }

    private static bool SequenceEqual(IList<object?> a, IList<object?> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
            if (!Equal(a[i], b[i])) return false;
        return true;
    }

    /// <summary>Python ordering: numbers, strings (by code point), lists and tuples element-wise; otherwise an error.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
            return IsIntLike(a) && IsIntLike(b) ? AsLong(a).CompareTo(AsLong(b)) : AsDouble(a).CompareTo(AsDouble(b));
        if (a is string s && b is string t) return Math.Sign(string.CompareOrdinal(s, t));
        if ((a is List<object?> && b is List<object?>) || (a is object?[] && b is object?[]))
        {
            var x = (IList<object?>)a;
            var y = (IList<object?>)b!;
            for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
                if (!Equal(x[i], y[i])) return Compare(x[i], y[i], op);
            return x.Count.CompareTo(y.Count);
        }
        if (a is Undefined u) throw new TemplateRuntimeException(u.Hint);
        if (b is Undefined w) throw new TemplateRuntimeException(w.Hint);
        throw new TemplateRuntimeException($"'{op}' is not supported between a {PyFormat.TypeName(a)} and a {PyFormat.TypeName(b)}");
    }

    /// <summary>Python <c>needle in haystack</c>.</summary>
    public static bool Contains(object? haystack, object? needle)
    {
        switch (haystack)
        {
            case string s:
                if (needle is not string n) throw new TemplateRuntimeException($"'in <string>' needs a string on the left, not a {PyFormat.TypeName(needle)}");
                return s.Contains(n, StringComparison.Ordinal);
            case Dictionary<string, object?> d: return needle is string k && d.ContainsKey(k);
            case IList<object?> l:
                foreach (var item in l)
                    if (Equal(item, needle)) return true;
                return false;
            case Undefined: return false;
            case TemplateNamespace ns: return needle is string key && ns.Attributes.ContainsKey(key);
        }
        throw new TemplateRuntimeException($"a {PyFormat.TypeName(haystack)} cannot be searched with 'in'");
    }

    /// <summary>The items a for loop visits: list/tuple items, dict keys, string characters; Undefined gives none.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        List<object?> l => new List<object?>(l),
        object?[] t => new List<object?>(t),
        Dictionary<string, object?> d => d.Keys.Select(k => (object?)k).ToList(),
        string s => Chars(s),
        Undefined => [],
        _ => throw new TemplateRuntimeException($"a {PyFormat.TypeName(v)} is not iterable"),
    };

    /// <summary>The characters of a string (surrogate pairs kept whole).</summary>
    public static List<object?> Chars(string s)
    {
        var list = new List<object?>();
        foreach (var rune in s.EnumerateRunes()) list.Add(rune.ToString());
        return list;
    }

    /// <summary>Python <c>len()</c> (code points for strings); Undefined has length 0.</summary>
    public static long Length(object? v) => v switch
    {
        string s => s.EnumerateRunes().Count(),
        object?[] t => t.Length,
        List<object?> l => l.Count,
        Dictionary<string, object?> d => d.Count,
        Undefined => 0,
        TemplateNamespace ns => ns.Attributes.Count,
        _ => throw new TemplateRuntimeException($"a {PyFormat.TypeName(v)} has no length"),
    };

    /// <summary>Binary arithmetic <c>+ - * / // % **</c>.</summary>
    public static object? Arithmetic(string op, object? a, object? b)
    {
        if (a is Undefined ua) throw new TemplateRuntimeException(ua.Hint);
        if (b is Undefined ub) throw new TemplateRuntimeException(ub.Hint);
        if (IsNumber(a) && IsNumber(b)) return Numeric(op, a, b);
        switch (op)
        {
            case "+" when a is string s && b is string t: return s + t;
            case "+" when a is List<object?> l && b is List<object?> m: return l.Concat(m).ToList();
            case "+" when a is object?[] l && b is object?[] m: return l.Concat(m).ToArray();
            case "*" when a is string s && IsIntLike(b): return Repeat(s, AsLong(b));
            case "*" when IsIntLike(a) && b is string s: return Repeat(s, AsLong(a));
            case "*" when a is List<object?> l && IsIntLike(b):
                return Enumerable.Repeat(l, (int)Math.Max(0, AsLong(b))).SelectMany(x => x).ToList();
            case "%" when a is string:
                throw new TemplateRuntimeException("printf-style string formatting ('…' % args) is not supported");
        }
        throw new TemplateRuntimeException($"unsupported operand types for {op}: '{PyFormat.TypeName(a)}' and '{PyFormat.TypeName(b)}'");
    }

    private static string Repeat(string s, long n)
    {
        var sb = new StringBuilder();
        for (long i = 0; i < n; i++) sb.Append(s);
        return sb.ToString();
    }

    private static object Numeric(string op, object? a, object? b)
    {
        bool ints = IsIntLike(a) && IsIntLike(b);
        if (ints)
        {
            long x = AsLong(a), y = AsLong(b);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": if (y == 0) throw DivZero(); return (double)x / y;
                case "//": if (y == 0) throw DivZero(); return FloorDiv(x, y);
                case "%": if (y == 0) throw DivZero(); return x - y * FloorDiv(x, y);
                case "**": return y >= 0 ? (object)IntPow(x, y) : Math.Pow(x, y);
            }
        }
        double p = AsDouble(a), q = AsDouble(b);
        switch (op)
        {
            case "+": return p + q;
            case "-": return p - q;
            case "*": return p * q;
            case "/": if (q == 0) throw DivZero(); return p / q;
            case "//": if (q == 0) throw DivZero(); return Math.Floor(p / q);
            case "%":
                if (q == 0) throw DivZero();
                double r = p % q;
                return r != 0 && (r < 0) != (q < 0) ? r + q : r;
            case "**": return Math.Pow(p, q);
        }
        throw new TemplateRuntimeException($"unknown operator {op}");
    }

    private static long FloorDiv(long x, long y)
    {
        long q = x / y;
        return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
    }

    private static long IntPow(long x, long y)
    {
        long r = 1;
        for (long i = 0; i < y; i++) r = checked(r * x);
        return r;
    }

    private static TemplateRuntimeException DivZero() => new("division by zero");

    /// <summary>Unary minus or plus.</summary>
    public static object? Negate(object? v, bool minus) => v switch
    {
        long l => (object)(minus ? -l : l),
        double d => (object)(minus ? -d : d),
        bool b => (object)(minus ? -(b ? 1L : 0L) : (b ? 1L : 0L)),
        Undefined u => throw new TemplateRuntimeException(u.Hint),
        _ => throw new TemplateRuntimeException($"bad operand type for unary {(minus ? "-" : "+")}: '{PyFormat.TypeName(v)}'"),
    };
}
