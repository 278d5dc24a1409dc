namespace Skald.Tokenizers.Templates;

/// <summary>The kinds of statement node in a parsed template.</summary>
internal enum StmtKind
{
    /// <summary>Literal text.</summary>
    Text,
    /// <summary><c>{{ expr }}</c>.</summary>
    Print,
    /// <summary><c>{% if %}…{% elif %}…{% else %}…{% endif %}</c>.</summary>
    If,
    /// <summary><c>{% for targets in iter [if cond] %}…{% else %}…{% endfor %}</c>.</summary>
    For,
    /// <summary><c>{% set targets = expr %}</c> or <c>{% set ns.attr = expr %}</c>.</summary>
    Set,
    /// <summary><c>{% set name %}…{% endset %}</c>, optionally filtered.</summary>
    SetBlock,
    /// <summary><c>{% macro name(params) %}…{% endmacro %}</c>.</summary>
    Macro,
    /// <summary><c>{% filter f %}…{% endfilter %}</c>.</summary>
    FilterBlock,
    /// <summary><c>{% break %}</c>.</summary>
    Break,
    /// <summary><c>{% continue %}</c>.</summary>
    Continue,
    /// <summary>Hugging Face's <c>{% generation %}…{% endgeneration %}</c>: renders its body.</summary>
    Generation,
}
