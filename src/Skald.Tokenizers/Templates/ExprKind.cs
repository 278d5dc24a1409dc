namespace Skald.Tokenizers.Templates;

/// <summary>The kinds of expression node in a parsed template.</summary>
internal enum ExprKind
{
    /// <summary>A constant: <see cref="Expr.Value"/>.</summary>
    Literal,
    /// <summary>A variable: <see cref="Expr.Name"/>.</summary>
    Name,
    /// <summary>A list display: items.</summary>
    List,
    /// <summary>A tuple display: items.</summary>
    Tuple,
    /// <summary>A dict display: items are key, value, key, value, ….</summary>
    Dict,
    /// <summary><c>x.name</c>: items[0] is x.</summary>
    GetAttr,
    /// <summary><c>x[i]</c>: items are x, i.</summary>
    GetItem,
    /// <summary><c>x[a:b:c]</c>: items are x, a, b, c (each bound may be null).</summary>
    Slice,
    /// <summary><c>f(args, k=v)</c>: items[0] is f, then the positional arguments; keyword arguments in <see cref="Expr.Kwargs"/>.</summary>
    Call,
    /// <summary><c>x | name(args)</c>: items[0] is x, then the arguments.</summary>
    Filter,
    /// <summary><c>x is [not] name(args)</c>: items[0] is x, then the arguments; <see cref="Expr.Negated"/>.</summary>
    Test,
    /// <summary>Unary <c>-</c>, <c>+</c> or <c>not</c> (<see cref="Expr.Name"/>): items[0].</summary>
    Unary,
    /// <summary>Arithmetic or <c>~</c> (<see cref="Expr.Name"/> is the operator): items are left, right.</summary>
    Binary,
    /// <summary><c>and</c>: items are left, right.</summary>
    And,
    /// <summary><c>or</c>: items are left, right.</summary>
    Or,
    /// <summary>A comparison chain: items are operands, <see cref="Expr.Ops"/> the operators between them.</summary>
    Compare,
    /// <summary><c>a if c else b</c>: items are a, c, b (b may be null).</summary>
    Conditional,
}
