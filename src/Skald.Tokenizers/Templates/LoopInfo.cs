namespace Skald.Tokenizers.Templates;

/// <summary>The <c>loop</c> variable inside a for loop: index, index0, revindex, revindex0, first, last, length, previtem, nextitem, depth.</summary>
internal sealed class LoopInfo
{
    private readonly List<object?> _items;

    /// <summary>Creates the loop state over the (already filtered) <paramref name="items"/>.</summary>
    public LoopInfo(List<object?> items) => _items = items;

    /// <summary>The 0-based position of the current item.</summary>
    public int Index0 { get; set; }

    /// <summary>Looks up a loop attribute; null when there is none.</summary>
    public bool TryGet(string name, out object? value)
    {
        int n = _items.Count;
        value = name switch
        {
            "index" => (long)(Index0 + 1),
            "index0" => (long)Index0,
            "revindex" => (long)(n - Index0),
            "revindex0" => (long)(n - Index0 - 1),
            "first" => Index0 == 0,
            "last" => Index0 == n - 1,
            "length" => (long)n,
            "depth" => 1L,
            "depth0" => 0L,
            "previtem" => Index0 > 0 ? _items[Index0 - 1] : new Undefined("there is no previous item"),
            "nextitem" => Index0 < n - 1 ? _items[Index0 + 1] : new Undefined("there is no next item"),
            "cycle" => new BoundMethod(this, "cycle"),
            _ => null,
        };
        return value is not null;
    }

    /// <summary><c>loop.cycle(a, b, …)</c>: the argument at the current index modulo their count.</summary>
    public object? Cycle(IReadOnlyList<object?> args)
    {
        if (args.Count == 0) throw new TemplateRuntimeException("loop.cycle() needs at least one argument");
        return args[Index0 % args.Count];
    }
}
