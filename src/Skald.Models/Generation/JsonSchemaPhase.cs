namespace Skald.Models.Generation;

/// <summary>Where a <see cref="JsonSchemaFrame"/> is in its value.</summary>
internal enum JsonSchemaPhase : byte
{
    /// <summary>Before the value's first byte (whitespace may come).</summary>
    Value,

    /// <summary>After an object's <c>{</c>.</summary>
    ObjectOpen,

    /// <summary>After a comma in an object: a key must come.</summary>
    KeyNext,

    /// <summary>Inside a key.</summary>
    Key,

    /// <summary>Inside a key of an object that takes keys beyond its listed properties (any string but those of the others).</summary>
    FreeKey,

    /// <summary>After a backslash in such a key.</summary>
    FreeKeyEscape,

    /// <summary>After a key: its colon.</summary>
    Colon,

    /// <summary>After a property's value: a comma or the closing brace.</summary>
    ObjectAfter,

    /// <summary>After an array's <c>[</c>.</summary>
    ArrayOpen,

    /// <summary>After a comma in an array: an item must come.</summary>
    ArrayNext,

    /// <summary>After an item: a comma or the closing bracket.</summary>
    ArrayAfter,

    /// <summary>Inside a string's content.</summary>
    String,

    /// <summary>Inside a string with a checked format (<see cref="JsonFormatReader"/>).</summary>
    Formatted,

    /// <summary>After a backslash in a string.</summary>
    Escape,

    /// <summary>In the four hex digits of a <c>\u</c> escape.</summary>
    Hex,

    /// <summary>After a number's minus sign.</summary>
    Minus,

    /// <summary>After a number's leading zero.</summary>
    Zero,

    /// <summary>In a number's integer digits.</summary>
    Int,

    /// <summary>After a number's decimal point.</summary>
    Dot,

    /// <summary>In a number's fraction digits.</summary>
    Frac,

    /// <summary>After a number's e or E.</summary>
    ExpMark,

    /// <summary>After the exponent's sign.</summary>
    ExpSign,

    /// <summary>In the exponent's digits.</summary>
    Exp,

    /// <summary>Inside one of a literal node's texts.</summary>
    Literal,

    /// <summary>The top-level object has closed.</summary>
    Done,
}
