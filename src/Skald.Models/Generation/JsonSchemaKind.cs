namespace Skald.Models.Generation;

/// <summary>What a compiled schema node (<see cref="JsonSchemaNode"/>) takes.</summary>
internal enum JsonSchemaKind : byte
{
    /// <summary>An object with the node's properties, in their order.</summary>
    Object,

    /// <summary>An array of the node's items.</summary>
    Array,

    /// <summary>Any string within the node's length bounds.</summary>
    String,

    /// <summary>Any JSON number.</summary>
    Number,

    /// <summary>A JSON number without a fraction or an exponent.</summary>
    Integer,

    /// <summary>One of a list of JSON texts, byte for byte (enum, const, true/false, null).</summary>
    Literal,

    /// <summary>One of several nodes, told apart by the value's first byte (anyOf, a list of types).</summary>
    Union,
}
