namespace Skald.Tokenizers.Templates;

/// <summary>The kinds of token the template lexer produces.</summary>
internal enum TemplateTokenKind
{
    /// <summary>Literal text between tags (after whitespace control).</summary>
    Data,
    /// <summary><c>{{</c>.</summary>
    VariableBegin,
    /// <summary><c>}}</c>.</summary>
    VariableEnd,
    /// <summary><c>{%</c>.</summary>
    BlockBegin,
    /// <summary><c>%}</c>.</summary>
    BlockEnd,
    /// <summary>An identifier or keyword.</summary>
    Name,
    /// <summary>A string literal (value already unescaped).</summary>
    String,
    /// <summary>An integer literal.</summary>
    Integer,
    /// <summary>A float literal.</summary>
    Float,
    /// <summary>An operator or punctuation.</summary>
    Operator,
    /// <summary>End of the template.</summary>
    End,
}
