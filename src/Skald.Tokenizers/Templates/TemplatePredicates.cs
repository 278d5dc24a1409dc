namespace Skald.Tokenizers.Templates;

/// <summary>
/// The <c>is</c> tests of jinja2/tests.py: defined, undefined, none, string, mapping, iterable, sequence, number,
/// integer, float, boolean, true, false, callable, odd, even, divisibleby, eq/equalto/==, ne/!=, lt/&lt;, le/&lt;=,
/// gt/&gt;, ge/&gt;=, in, sameas, lower, upper.
/// </summary>
internal static class TemplatePredicates
{
    /// <summary>The names this subset supports (anything else fails when the template is loaded).</summary>
    public static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "defined", "undefined", "none", "string", "mapping", "iterable", "sequence", "number", "integer", "float",
        "boolean", "true", "false", "callable", "odd", "even", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt",
        "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "sameas", "lower", "upper",
    };

    /// <summary>Runs test <paramref name="name"/> on <paramref name="v"/>.</summary>
    public static bool Test(string name, object? v, List<object?> args, IReadOnlyDictionary<string, object?> kw)
    {
        object? Arg() => args.Count > 0 ? args[0] : kw.Values.FirstOrDefault();
        switch (name)
        {
            case "defined": return v is not Undefined;
            case "undefined": return v is Undefined;
            case "none": return v is null;
            case "string": return v is string;
            case "mapping": return v is Dictionary<string, object?>;
            case "iterable": return v is string or IList<object?> or Dictionary<string, object?> or Undefined;
            case "sequence": return v is string or IList<object?> or Dictionary<string, object?>;
            case "number": return v is long or double or bool;
            case "integer": return v is long;
            case "float": return v is double;
            case "boolean": return v is bool;
            case "true": return v is true;
            case "false": return v is false;
            case "callable": return v is Macro or TemplateFunction or BoundMethod;
            case "odd": return AsInt(v, name) % 2 != 0;
            case "even": return AsInt(v, name) % 2 == 0;
            case "divisibleby":
                long d = AsInt(Arg(), name);
                return d != 0 && AsInt(v, name) % d == 0;
            case "eq" or "equalto" or "==": return PyOps.Equal(v, Arg());
            case "ne" or "!=": return !PyOps.Equal(v, Arg());
            case "lt" or "lessthan" or "<": return PyOps.Compare(v, Arg(), "<") < 0;
            case "le" or "<=": return PyOps.Compare(v, Arg(), "<=") <= 0;
            case "gt" or "greaterthan" or ">": return PyOps.Compare(v, Arg(), ">") > 0;
            case "ge" or ">=": return PyOps.Compare(v, Arg(), ">=") >= 0;
            case "in": return PyOps.Contains(Arg(), v);
            case "sameas":
                var other = Arg();
                return v is null || v is bool || other is null || other is bool ? Equals(v, other) && (v is null) == (other is null) : ReferenceEquals(v, other);
            case "lower": return v is string ls && ls == ls.ToLowerInvariant();
            case "upper": return v is string us && us == us.ToUpperInvariant();
        }
        throw new TemplateRuntimeException($"the test '{name}' is not supported");
    }

    private static long AsInt(object? v, string test) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        Undefined u => throw new TemplateRuntimeException(u.Hint),
        _ => throw new TemplateRuntimeException($"the test '{test}' needs an integer, not a {PyFormat.TypeName(v)}"),
    };
}
