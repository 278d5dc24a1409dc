namespace Skald.Tokenizers.Templates;

/// <summary>One lexed token: its kind, its text (or unescaped value) and its offset in the template source.</summary>
internal readonly record struct TemplateToken(TemplateTokenKind Kind, string Text, int Position, object? Value = null)
{
    /// <summary>True for the operator token <paramref name="op"/>.</summary>
    public bool IsOperator(string op) => Kind == TemplateTokenKind.Operator && Text == op;

    /// <summary>True for the name token <paramref name="name"/>.</summary>
    public bool IsName(string name) => Kind == TemplateTokenKind.Name && Text == name;
}
