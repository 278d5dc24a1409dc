namespace Skald.Models.Generation;

/// <summary>
/// A JSON schema <see cref="JsonSchemaGrammar.Compile"/> cannot turn into a constraint (an unsupported keyword, a
/// malformed one, a <c>$ref</c> that leads nowhere): an <see cref="ArgumentException"/> whose message names the keyword
/// and its JSON pointer in the schema.
/// </summary>
public sealed class JsonSchemaException : ArgumentException
{
    /// <summary>A problem with <paramref name="keyword"/> at <paramref name="pointer"/>; <paramref name="message"/> says it.</summary>
    public JsonSchemaException(string keyword, string pointer, string message) : base(message)
    {
        Keyword = keyword;
        Pointer = pointer;
    }

    /// <summary>The keyword (e.g. <c>pattern</c>).</summary>
    public string Keyword { get; }

    /// <summary>The keyword's JSON pointer in the schema (e.g. <c>/properties/name/pattern</c>).</summary>
    public string Pointer { get; }
}
