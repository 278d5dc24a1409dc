namespace Skald.Tokenizers.Templates;

/// <summary>One statement node; which fields matter depends on <see cref="Kind"/> (see <see cref="StmtKind"/>).</summary>
internal sealed class Stmt
{
    /// <summary>The node kind.</summary>
    public required StmtKind Kind { get; init; }

    /// <summary>Offset of the node in the template source.</summary>
    public required int Position { get; init; }

    /// <summary>Literal text (Text), macro name (Macro), variable name (SetBlock).</summary>
    public string Text { get; init; } = "";

    /// <summary>The printed, iterated or assigned expression; the filter chain of a filter block or set block.</summary>
    public Expr? Value { get; init; }

    /// <summary>Loop filter (For).</summary>
    public Expr? Condition { get; init; }

    /// <summary>Branches of an If: condition and body, in order.</summary>
    public List<(Expr Condition, List<Stmt> Body)> Branches { get; init; } = [];

    /// <summary>The body (For, Macro, SetBlock, FilterBlock, Generation).</summary>
    public List<Stmt> Body { get; init; } = [];

    /// <summary>The else body (If, For).</summary>
    public List<Stmt> Else { get; init; } = [];

    /// <summary>Target names of For and Set (several when unpacking).</summary>
    public string[] Targets { get; init; } = [];

    /// <summary>For <c>set ns.attr = …</c>: the attribute name (Targets[0] is the namespace variable).</summary>
    public string? Attribute { get; init; }

    /// <summary>Macro parameters and their defaults.</summary>
    public List<(string Name, Expr? Default)> Parameters { get; init; } = [];
}
