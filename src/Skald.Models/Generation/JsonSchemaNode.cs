namespace Skald.Models.Generation;

/// <summary>
/// One node of a compiled JSON schema (<see cref="JsonSchemaGrammar"/>): its <see cref="Kind"/> and the fields that kind
/// reads; nodes refer to each other by index, so a recursive <c>$ref</c> is a cycle of indices.
/// </summary>
internal sealed class JsonSchemaNode
{
    /// <summary>A node of <paramref name="kind"/>; the compiler fills the fields of its kind.</summary>
    public JsonSchemaNode(JsonSchemaKind kind) => Kind = kind;

    /// <summary>What it takes.</summary>
    public JsonSchemaKind Kind { get; }

    /// <summary>
    /// Literal: its JSON texts in byte order (so those that share a prefix are neighbours). Object: its keys as JSON
    /// strings (quotes included), in byte order.
    /// </summary>
    public byte[][] Texts { get; set; } = [];

    /// <summary>Object: the property of each key of <see cref="Texts"/> (its index in the schema's order).</summary>
    public int[] KeyProperty { get; set; } = [];

    /// <summary>Object: each property's value node, in the schema's order.</summary>
    public int[] PropertyNode { get; set; } = [];

    /// <summary>
    /// Object: for each property index i (and one past the last), the first required property at or after i, or the
    /// number of properties when none is left: the keys that may come next after property i - 1 are i up to it.
    /// </summary>
    public int[] NextRequired { get; set; } = [0];

    /// <summary>String: the format its content is held to (<see cref="JsonStringFormat.None"/>: any content).</summary>
    public JsonStringFormat Format { get; set; }

    /// <summary>Object: for each property index i (and one past the last), how many required properties are at or after i.</summary>
    public int[] RequiredFrom { get; set; } = [0];

    /// <summary>
    /// Object: the node of the values of keys beyond the listed properties (<c>additionalProperties</c>), which come after
    /// them; −1: no other key.
    /// </summary>
    public int Extra { get; set; } = -1;

    /// <summary>Array: its items' node.</summary>
    public int Items { get; set; }

    /// <summary>Array: fewest items; String: fewest characters; Object: fewest properties.</summary>
    public int Min { get; set; }

    /// <summary>Array: most items; String: most characters; Object: most properties (<see cref="int.MaxValue"/>: no bound).</summary>
    public int Max { get; set; } = int.MaxValue;

    /// <summary>
    /// The fewest nested objects and arrays a value of this node needs, itself included (0 for a scalar or literal;
    /// <see cref="int.MaxValue"/>: no finite value, a required property or minItems that leads back to itself).
    /// </summary>
    public int MinDepth { get; set; }

    /// <summary>
    /// Integer and Number: the least value taken (minimum, exclusiveMinimum), in units of 1 for an integer and of
    /// 10^−<see cref="JsonSchemaAutomaton.MaxDigits"/> for a number.
    /// </summary>
    public Int128 Low { get; set; } = Int128.MinValue;

    /// <summary>Integer and Number: the greatest value taken (maximum, exclusiveMaximum), in the same units.</summary>
    public Int128 High { get; set; } = Int128.MaxValue;

    /// <summary>Integer and Number: what every value taken is a multiple of (multipleOf), in the same units; 1 for none.</summary>
    public Int128 Step { get; set; } = 1;

    /// <summary>
    /// Integer and Number: whether it has a bound or a step (<see cref="Low"/>, <see cref="High"/>, <see cref="Step"/>),
    /// read digit by digit; a bounded number is written without an exponent.
    /// </summary>
    public bool Bounded { get; set; }

    /// <summary>
    /// Union: for each first byte of a value, the node that takes it (−1: none; −2 − k: several, those of
    /// <see cref="Choices"/>[k], read side by side).
    /// </summary>
    public int[] Dispatch { get; set; } = [];

    /// <summary>Union: the lists of alternatives that start with the same byte.</summary>
    public int[][] Choices { get; set; } = [];

    /// <summary>
    /// The most automaton configurations a value of this node keeps alive at once (1 but inside a union whose
    /// alternatives start alike; <see cref="int.MaxValue"/>: unbounded, a loop through such a union).
    /// </summary>
    public int Width { get; set; } = 1;
}
