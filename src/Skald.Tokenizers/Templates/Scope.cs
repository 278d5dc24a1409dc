namespace Skald.Tokenizers.Templates;

/// <summary>
/// A variable scope. As in Jinja, each for-loop iteration and each macro call runs in a child scope, so a
/// <c>set</c> inside them does not change the variables outside; <c>if</c> blocks share their scope.
/// </summary>
internal sealed class Scope
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);
    private readonly Scope? _parent;

    /// <summary>Creates a scope under <paramref name="parent"/> (null for the root).</summary>
    public Scope(Scope? parent) => _parent = parent;

    /// <summary>Finds a variable in this scope or its ancestors.</summary>
    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s is not null; s = s._parent)
            if (s._vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    /// <summary>Assigns a variable in this scope.</summary>
    public void Set(string name, object? value) => _vars[name] = value;
}
