namespace Skald.Tokenizers.Templates;

/// <summary>
/// Jinja's default <c>Undefined</c>: a missing variable, key or attribute. Prints as the empty string, is falsy,
/// iterates as empty and has length 0; arithmetic on it fails naming it. Attribute and item access on it give another
/// Undefined (as the Skald subset specifies; stock Jinja fails there).
/// </summary>
internal sealed class Undefined
{
    /// <summary>Creates an undefined value described by <paramref name="hint"/> (e.g. "'foo' is undefined").</summary>
    public Undefined(string hint) => Hint = hint;

    /// <summary>What is missing, for error messages.</summary>
    public string Hint { get; }

    /// <inheritdoc/>
    public override string ToString() => "";
}
