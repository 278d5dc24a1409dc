namespace Skald.Tokenizers.Templates;

/// <summary>A macro defined by <c>{% macro %}</c>: its statement and the scope it was defined in.</summary>
/// <param name="Definition">The macro statement (name, parameters with defaults, body).</param>
/// <param name="Closure">The scope the macro was defined in; calls run in a child of it.</param>
internal sealed record Macro(Stmt Definition, Scope Closure);
