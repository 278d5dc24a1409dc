using System.Text;

namespace Skald.Tokenizers.Templates;

/// <summary>
/// Python methods templates call on values: on strings strip/lstrip/rstrip, split/rsplit, startswith/endswith,
/// upper/lower/title/capitalize, replace, find/rfind/count, join, splitlines, isdigit/isalpha/isspace; on dicts
/// items/keys/values/get; <c>loop.cycle</c>. Mutating methods (list.append, dict.update …) fail as in Hugging Face's
/// immutable sandbox.
/// </summary>
internal static class TemplateMethods
{
    private static readonly HashSet<string> StringMethods = new(StringComparer.Ordinal)
    {
        "strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith", "upper", "lower", "title", "capitalize",
        "replace", "find", "rfind", "count", "join", "splitlines", "isdigit", "isalpha", "isspace", "isupper", "islower",
        "format", "encode", "center", "ljust", "rjust", "zfill", "partition", "rpartition", "swapcase", "casefold",
        "index", "rindex", "isalnum", "isnumeric", "isdecimal", "istitle", "expandtabs", "removeprefix", "removesuffix",
    };

    private static readonly HashSet<string> DictMethods = new(StringComparer.Ordinal)
    {
        "items", "keys", "values", "get", "pop", "popitem", "setdefault", "update", "clear", "copy", "fromkeys",
    };

    private static readonly HashSet<string> ListMethods = new(StringComparer.Ordinal)
    {
        "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "copy", "index", "count",
    };

    /// <summary>True when <paramref name="name"/> is a Python method of <paramref name="target"/>'s type.</summary>
    public static bool IsMethod(object target, string name) => target switch
    {
        string => StringMethods.Contains(name),
        Dictionary<string, object?> => DictMethods.Contains(name),
        List<object?> => ListMethods.Contains(name),
        _ => false,
    };

    /// <summary>Calls a bound method.</summary>
    public static object? Call(BoundMethod m, List<object?> args, Dictionary<string, object?> kw)
    {
        switch (m.Target)
        {
            case string s: return CallString(s, m.Name, args, kw);
            case Dictionary<string, object?> d:
                switch (m.Name)
                {
                    case "items": return d.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList();
                    case "keys": return d.Keys.Select(k => (object?)k).ToList();
                    case "values": return d.Values.ToList();
                    case "get":
                        var key = TemplateArgs.Get(args, kw, 0, "key");
                        return key is string k && d.TryGetValue(k, out var v) ? v : TemplateArgs.Get(args, kw, 1, "default");
                    case "copy": return new Dictionary<string, object?>(d, StringComparer.Ordinal);
                }
                break;
            case List<object?> l:
                switch (m.Name)
                {
                    case "index":
                        for (int i = 0; i < l.Count; i++)
                            if (PyOps.Equal(l[i], TemplateArgs.Get(args, kw, 0, "value"))) return (long)i;
                        throw new TemplateRuntimeException("list.index(x): x is not in the list");
                    case "count": return (long)l.Count(x => PyOps.Equal(x, TemplateArgs.Get(args, kw, 0, "value")));
                    case "copy": return new List<object?>(l);
                }
                break;
            case LoopInfo loop when m.Name == "cycle": return loop.Cycle(args);
        }
        throw new TemplateRuntimeException(
            $"the method '{m.Name}' of a {PyFormat.TypeName(m.Target)} is not supported (Hugging Face renders templates in an immutable sandbox)");
    }

    private static object? CallString(string s, string name, List<object?> args, Dictionary<string, object?> kw)
    {
        switch (name)
        {
            case "strip": return Strip(s, TemplateArgs.String(args, kw, 0, "chars"), true, true);
            case "lstrip": return Strip(s, TemplateArgs.String(args, kw, 0, "chars"), true, false);
            case "rstrip": return Strip(s, TemplateArgs.String(args, kw, 0, "chars"), false, true);
            case "split": return Split(s, TemplateArgs.String(args, kw, 0, "sep"), TemplateArgs.Int(args, kw, 1, "maxsplit", -1), false);
            case "rsplit": return Split(s, TemplateArgs.String(args, kw, 0, "sep"), TemplateArgs.Int(args, kw, 1, "maxsplit", -1), true);
            case "startswith": return Affix(s, TemplateArgs.Get(args, kw, 0, "prefix"), (x, p) => x.StartsWith(p, StringComparison.Ordinal));
            case "endswith": return Affix(s, TemplateArgs.Get(args, kw, 0, "suffix"), (x, p) => x.EndsWith(p, StringComparison.Ordinal));
            case "upper": return s.ToUpperInvariant();
            case "lower": return s.ToLowerInvariant();
            case "title": return PythonTitle(s);
            case "capitalize": return Capitalize(s);
            case "replace":
                return Replace(s, PyFormat.Str(TemplateArgs.Get(args, kw, 0, "old", "")), PyFormat.Str(TemplateArgs.Get(args, kw, 1, "new", "")),
                    TemplateArgs.Int(args, kw, 2, "count", -1));
            case "find": return (long)s.IndexOf(TemplateArgs.String(args, kw, 0, "sub", "")!, StringComparison.Ordinal);
            case "rfind": return (long)s.LastIndexOf(TemplateArgs.String(args, kw, 0, "sub", "")!, StringComparison.Ordinal);
            case "count":
                string sub = TemplateArgs.String(args, kw, 0, "sub", "")!;
                if (sub.Length == 0) return (long)PyOps.Length(s) + 1;
                long n = 0;
                for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
                return n;
            case "join": return string.Join(s, PyOps.Iterate(TemplateArgs.Get(args, kw, 0, "iterable")).Select(PyFormat.Str));
            case "splitlines": return SplitLines(s).Select(x => (object?)x).ToList();
            case "isdigit": return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha": return s.Length > 0 && s.All(char.IsLetter);
            case "isspace": return s.Length > 0 && s.All(char.IsWhiteSpace);
            case "isupper": return s.Any(char.IsLetter) && s == s.ToUpperInvariant();
            case "islower": return s.Any(char.IsLetter) && s == s.ToLowerInvariant();
        }
        throw new TemplateRuntimeException($"the string method '{name}' is not supported");
    }

    private static string Strip(string s, string? chars, bool left, bool right)
    {
        char[]? set = chars?.ToCharArray();
        if (left) s = set is null ? s.TrimStart() : s.TrimStart(set);
        if (right) s = set is null ? s.TrimEnd() : s.TrimEnd(set);
        return s;
    }

    private static bool Affix(string s, object? affix, Func<string, string, bool> test) => affix switch
    {
        string p => test(s, p),
        IList<object?> many => many.Any(p => p is string ps && test(s, ps)),
        _ => throw new TemplateRuntimeException($"startswith/endswith need a string or a tuple of strings, not a {PyFormat.TypeName(affix)}"),
    };

    /// <summary>Python <c>str.split(sep, maxsplit)</c> / <c>rsplit</c>.</summary>
    private static List<object?> Split(string s, string? sep, long maxsplit, bool fromRight)
    {
        List<string> parts;
        if (sep is null)
        {
            var words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();
            if (maxsplit < 0 || words.Count <= maxsplit + 1) return words.Select(w => (object?)w).ToList();
            // With a limit, the unsplit remainder keeps its inner whitespace.
            parts = new List<string>();
            string rest = fromRight ? s.TrimEnd() : s.TrimStart();
            for (int i = 0; i < maxsplit; i++)
            {
                if (fromRight)
                {
                    int cut = rest.Length - 1;
                    while (cut >= 0 && !char.IsWhiteSpace(rest[cut])) cut--;
                    parts.Insert(0, rest[(cut + 1)..]);
                    rest = rest[..Math.Max(0, cut)].TrimEnd();
                }
                else
                {
                    int cut = 0;
                    while (cut < rest.Length && !char.IsWhiteSpace(rest[cut])) cut++;
                    parts.Add(rest[..cut]);
                    rest = rest[cut..].TrimStart();
                }
            }
            if (fromRight) parts.Insert(0, rest); else parts.Add(rest);
            return parts.Select(w => (object?)w).ToList();
        }
        if (sep.Length == 0) throw new TemplateRuntimeException("split: empty separator");
        parts = s.Split(sep).ToList();
        if (maxsplit >= 0 && parts.Count > maxsplit + 1)
        {
            int keep = (int)maxsplit;
            parts = fromRight
                ? new[] { string.Join(sep, parts.Take(parts.Count - keep)) }.Concat(parts.Skip(parts.Count - keep)).ToList()
                : parts.Take(keep).Append(string.Join(sep, parts.Skip(keep))).ToList();
        }
        return parts.Select(w => (object?)w).ToList();
    }

    /// <summary>Python <c>str.replace(old, new, count)</c>.</summary>
    public static string Replace(string s, string old, string @new, long count)
    {
        if (old.Length == 0)
        {
            var sb0 = new StringBuilder();
            long done = 0;
            foreach (var c in PyOps.Chars(s))
            {
                if (count < 0 || done < count) { sb0.Append(@new); done++; }
                sb0.Append((string)c!);
            }
            if (count < 0 || done < count) sb0.Append(@new);
            return sb0.ToString();
        }
        if (count < 0) return s.Replace(old, @new, StringComparison.Ordinal);
        var sb = new StringBuilder();
        int pos = 0;
        for (long i = 0; i < count; i++)
        {
            int at = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (at < 0) break;
            sb.Append(s, pos, at - pos).Append(@new);
            pos = at + old.Length;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    /// <summary>Python <c>str.capitalize()</c>: first character upper, the rest lower.</summary>
    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    private static string PythonTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevCased = false;
        foreach (char c in s)
        {
            sb.Append(prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            prevCased = char.IsLetter(c);
        }
        return sb.ToString();
    }

    /// <summary>Python <c>str.splitlines()</c> (without line ends).</summary>
    public static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c is not ('\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')) continue;
            lines.Add(s[start..i]);
            if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
            start = i + 1;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }
}
