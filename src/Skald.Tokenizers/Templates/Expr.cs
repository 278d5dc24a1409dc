namespace Skald.Tokenizers.Templates;

/// <summary>One expression node; which fields matter depends on <see cref="Kind"/> (see <see cref="ExprKind"/>).</summary>
internal sealed class Expr
{
    /// <summary>The node kind.</summary>
    public required ExprKind Kind { get; init; }

    /// <summary>Offset of the node in the template source (for error locations).</summary>
    public required int Position { get; init; }

    /// <summary>Variable, attribute, filter, test or operator name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The constant of a literal.</summary>
    public object? Value { get; init; }

    /// <summary>Child expressions (meaning per kind).</summary>
    public Expr?[] Items { get; init; } = [];

    /// <summary>Keyword arguments of a call, filter or test.</summary>
    public (string Name, Expr Value)[] Kwargs { get; init; } = [];

    /// <summary>Operators of a comparison chain.</summary>
    public string[] Ops { get; init; } = [];

    /// <summary>True for <c>is not</c>.</summary>
    public bool Negated { get; init; }
}
