namespace Skald.Tokenizers.Templates;

/// <summary>The sequence filters of jinja2/filters.py: sort, unique, dictsort, sum, min, max, select/reject(attr), map.</summary>
internal static class SequenceFilters
{
    /// <summary>Jinja's attribute getter: a dotted path whose integer parts index and other parts look up items/attributes.</summary>
    public static object? Attribute(object? item, object? attribute)
    {
        if (attribute is long l) return ExpressionEvaluator.GetItem(item, l);
        foreach (string part in PyFormat.Str(attribute).Split('.'))
        {
            item = long.TryParse(part, out long idx) ? ExpressionEvaluator.GetItem(item, idx) : ExpressionEvaluator.GetItem(item, part);
        }
        return item;
    }

    private static object? SortKey(object? v, bool caseSensitive) => !caseSensitive && v is string s ? s.ToLowerInvariant() : v;

    /// <summary><c>sort(reverse=False, case_sensitive=False, attribute=None)</c>, stable.</summary>
    public static List<object?> Sort(object? value, List<object?> args, Dictionary<string, object?> kw)
    {
        bool reverse = TemplateArgs.Bool(args, kw, 0, "reverse");
        bool cs = TemplateArgs.Bool(args, kw, 1, "case_sensitive");
        var attribute = TemplateArgs.Get(args, kw, 2, "attribute");
        var items = PyOps.Iterate(value);
        var keyed = items.Select(i => (Key: SortKey(attribute is null ? i : Attribute(i, attribute), cs), Item: i));
        // LINQ's OrderBy is stable, so equal keys keep their order in both directions, as Python's sort(reverse=…).
        var comparer = Comparer<object?>.Create((a, b) => PyOps.Compare(a, b, "<") * (reverse ? -1 : 1));
        var sorted = keyed.OrderBy(x => x.Key, comparer);
        return sorted.Select(x => x.Item).ToList();
    }

    /// <summary><c>unique(case_sensitive=False, attribute=None)</c>: first occurrences, in order.</summary>
    public static List<object?> Unique(object? value, List<object?> args, Dictionary<string, object?> kw)
    {
        bool cs = TemplateArgs.Bool(args, kw, 0, "case_sensitive");
        var attribute = TemplateArgs.Get(args, kw, 1, "attribute");
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in PyOps.Iterate(value))
        {
            var key = SortKey(attribute is null ? item : Attribute(item, attribute), cs);
            if (seen.Any(s => PyOps.Equal(s, key))) continue;
            seen.Add(key);
            result.Add(item);
        }
        return result;
    }

    /// <summary><c>dictsort(case_sensitive=False, by='key', reverse=False)</c>: (key, value) tuples.</summary>
    public static List<object?> DictSort(object? value, List<object?> args, Dictionary<string, object?> kw)
    {
        if (value is not Dictionary<string, object?> dict) throw new TemplateRuntimeException($"dictsort: expected a dict, not a {PyFormat.TypeName(value)}");
        bool cs = TemplateArgs.Bool(args, kw, 0, "case_sensitive");
        string by = TemplateArgs.String(args, kw, 1, "by", "key")!;
        bool reverse = TemplateArgs.Bool(args, kw, 2, "reverse");
        var pairs = dict.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList();
        int pos = by == "value" ? 1 : 0;
        var cmp = Comparer<object?>.Create((a, b) =>
            PyOps.Compare(SortKey(((object?[])a!)[pos], cs), SortKey(((object?[])b!)[pos], cs), "<") * (reverse ? -1 : 1));
        return pairs.Order(cmp).ToList();
    }

    /// <summary><c>sum(attribute=None, start=0)</c>.</summary>
    public static object? Sum(object? value, List<object?> args, Dictionary<string, object?> kw)
    {
        var attribute = TemplateArgs.Get(args, kw, 0, "attribute");
        object? total = TemplateArgs.Get(args, kw, 1, "start", 0L);
        foreach (var item in PyOps.Iterate(value))
            total = PyOps.Arithmetic("+", total, attribute is null ? item : Attribute(item, attribute));
        return total;
    }

    /// <summary><c>min/max(case_sensitive=False, attribute=None)</c>; Undefined for an empty sequence.</summary>
    public static object? MinMax(object? value, List<object?> args, Dictionary<string, object?> kw, bool min)
    {
        bool cs = TemplateArgs.Bool(args, kw, 0, "case_sensitive");
        var attribute = TemplateArgs.Get(args, kw, 1, "attribute");
        object? best = null;
        object? bestKey = null;
        bool any = false;
        foreach (var item in PyOps.Iterate(value))
        {
            var key = SortKey(attribute is null ? item : Attribute(item, attribute), cs);
            if (!any || (min ? PyOps.Compare(key, bestKey, "<") < 0 : PyOps.Compare(key, bestKey, ">") > 0))
            {
                best = item;
                bestKey = key;
                any = true;
            }
        }
        return any ? best : new Undefined("the sequence is empty");
    }

    /// <summary><c>select/reject(test, *args)</c> and <c>selectattr/rejectattr(attr, test, *args)</c>; without a test, truthiness.</summary>
    public static List<object?> Select(object? value, List<object?> args, Dictionary<string, object?> kw, bool attribute, bool keep)
    {
        int offset = attribute ? 1 : 0;
        object? attr = attribute ? (args.Count > 0 ? args[0] : throw new TemplateRuntimeException("selectattr/rejectattr need an attribute name")) : null;
        string? test = args.Count > offset ? PyFormat.Str(args[offset]) : null;
        var testArgs = args.Skip(offset + 1).ToList();
        var result = new List<object?>();
        if (!PyOps.Truthy(value)) return result; // jinja2's select_or_reject starts with "if value:"
        foreach (var item in PyOps.Iterate(value))
        {
            var subject = attribute ? Attribute(item, attr) : item;
            bool ok = test is null ? PyOps.Truthy(subject) : TemplatePredicates.Test(test, subject, testArgs, kw);
            if (ok == keep) result.Add(item);
        }
        return result;
    }

    /// <summary><c>map(attribute=…, default=…)</c> or <c>map('filter', *args)</c>.</summary>
    public static List<object?> Map(object? value, List<object?> args, Dictionary<string, object?> kw)
    {
        if (!PyOps.Truthy(value)) return []; // jinja2's map starts with "if value:"
        var items = PyOps.Iterate(value);
        if (kw.TryGetValue("attribute", out var attribute))
        {
            kw.TryGetValue("default", out var fallback);
            return items.Select(i =>
            {
                var v = Attribute(i, attribute);
                return v is Undefined && kw.ContainsKey("default") ? fallback : v;
            }).ToList();
        }
        if (args.Count == 0) throw new TemplateRuntimeException("map needs a filter name or attribute=…");
        string filter = PyFormat.Str(args[0]);
        if (!TemplateFilters.Names.Contains(filter)) throw new TemplateRuntimeException($"the filter '{filter}' is not supported");
        var rest = args.Skip(1).ToList();
        return items.Select(i => TemplateFilters.Apply(filter, i, rest, new Dictionary<string, object?>(kw))).ToList();
    }
}
