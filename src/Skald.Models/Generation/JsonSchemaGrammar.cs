using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// A JSON schema compiled for constrained decoding (OpenAI's structured outputs, <c>response_format: {"type":
/// "json_schema"}</c>; <see cref="OutputFormat.JsonSchema"/>): a graph of nodes that a <see cref="JsonSchemaAutomaton"/>
/// follows byte by byte, so that every answer is JSON that validates against the schema. The subset is the one OpenAI's
/// strict mode documents (see <see cref="Compile"/>). Immutable: requests with the same schema may share one.
/// </summary>
public sealed class JsonSchemaGrammar
{
    private readonly JsonSchemaNode[] nodes;
    private readonly int root;

    internal JsonSchemaGrammar(JsonSchemaNode[] nodes, int root)
    {
        this.nodes = nodes;
        this.root = root;
    }

    /// <summary>
    /// Compiles <paramref name="schema"/>, whose top level must be an object schema. Taken: <c>type</c> (object, array,
    /// string, number, integer, boolean, null, or a list of them), <c>properties</c> (written in their order, optional
    /// ones may be left out), <c>required</c>, <c>additionalProperties</c> (false or absent: no other key is written;
    /// true, <c>{}</c> or a schema: other keys, none repeated, may follow the listed ones),
    /// <c>enum</c>, <c>const</c>, <c>items</c>, <c>minItems</c>, <c>maxItems</c>, <c>minLength</c>, <c>maxLength</c>,
    /// <c>minProperties</c>, <c>maxProperties</c>, <c>minimum</c>, <c>maximum</c>, <c>exclusiveMinimum</c>,
    /// <c>exclusiveMaximum</c>, <c>multipleOf</c> (on an integer or a number: exactly, a bounded number written without an
    /// exponent), <c>format</c> <c>date</c>, <c>time</c>, <c>date-time</c>, <c>uuid</c> and <c>ipv4</c> on a string
    /// (<see cref="JsonFormatReader"/>; beside <c>enum</c> or <c>const</c> only the values of the format are kept),
    /// <c>anyOf</c> (alternatives that start alike read side by side, at most <see cref="JsonSchemaCompiler.MaxWidth"/>
    /// at once), <c>$ref</c> to a JSON pointer in the schema
    /// (<c>#/$defs/...</c>, <c>#/definitions/...</c>, <c>#</c>; recursion is bounded by 64 levels of nesting).
    /// Ignored: annotations (<c>description</c>, <c>title</c>, <c>$schema</c>, <c>$id</c>, <c>$comment</c>,
    /// <c>default</c>, <c>examples</c>, <c>deprecated</c>, <c>readOnly</c>, <c>writeOnly</c>), other <c>format</c>s (an
    /// annotation by default in JSON Schema 2020-12: not checked) and <c>$defs</c> / <c>definitions</c> nobody refers to.
    /// Anything else (<c>pattern</c>, <c>oneOf</c>, <c>allOf</c>, <c>not</c>, ...), a keyword beside
    /// <c>enum</c> or <c>const</c> other than <c>type</c>, <c>items</c> as a list and a union whose alternatives start
    /// alike inside itself are a <see cref="JsonSchemaException"/> naming the keyword and its pointer.
    /// </summary>
    /// <remarks>
    /// The last <see cref="CacheSize"/> schemas compiled (up to <see cref="CacheChars"/> characters of JSON text in all)
    /// are kept by their text, so a schema sent again (with every request of a client's structured output type) is not
    /// compiled again.
    /// </remarks>
    public static JsonSchemaGrammar Compile(JsonElement schema) => Cache.Get(schema, JsonSchemaCompiler.Compile);

    /// <summary>How many compiled schemas <see cref="Compile"/> keeps.</summary>
    public const int CacheSize = 32;

    /// <summary>How many characters of JSON text the schemas <see cref="Compile"/> keeps have in all.</summary>
    public const int CacheChars = 1 << 21;

    /// <summary>The schemas <see cref="Compile"/> keeps.</summary>
    internal static JsonSchemaCache Cache { get; } = new(CacheSize, CacheChars);

    /// <summary>A new row's automaton, at the start of its text.</summary>
    internal JsonSchemaAutomaton Start() => Start(NewStack());

    /// <summary>An automaton at the start of a text whose enclosing frames go on <paramref name="stack"/> (one of <see cref="NewStack"/>'s).</summary>
    internal JsonSchemaAutomaton Start(JsonSchemaStack stack) => new(stack, root);

    /// <summary>An empty stack for this grammar's automata.</summary>
    internal JsonSchemaStack NewStack() => new(nodes);
}
