namespace Skald.Tokenizers.Templates;

/// <summary>Reads a filter's, test's or method's argument by position or keyword, as Python binds them.</summary>
internal static class TemplateArgs
{
    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public static object? Get(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int index, string name, object? fallback = null)
    {
        if (index < args.Count) return args[index];
        return kwargs.TryGetValue(name, out var v) ? v : fallback;
    }

    /// <summary>A boolean argument (Python truthiness).</summary>
    public static bool Bool(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int index, string name, bool fallback = false)
    {
        var v = Get(args, kwargs, index, name, fallback);
        return PyOps.Truthy(v);
    }

    /// <summary>A string argument; None/absent gives <paramref name="fallback"/>.</summary>
    public static string? String(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int index, string name, string? fallback = null)
    {
        var v = Get(args, kwargs, index, name, fallback);
        return v switch
        {
            null => fallback,
            string s => s,
            _ => throw new TemplateRuntimeException($"the argument '{name}' must be a string, not a {PyFormat.TypeName(v)}"),
        };
    }

    /// <summary>An integer argument.</summary>
    public static long Int(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int index, string name, long fallback)
    {
        var v = Get(args, kwargs, index, name, fallback);
        return v switch
        {
            long l => l,
            bool b => b ? 1 : 0,
            null => fallback,
            _ => throw new TemplateRuntimeException($"the argument '{name}' must be an integer, not a {PyFormat.TypeName(v)}"),
        };
    }
}
