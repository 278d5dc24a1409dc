namespace Skald.Models.Generation;

/// <summary>
/// One open value of a <see cref="JsonSchemaAutomaton"/>: its node, its phase and the phase's counters. Object:
/// <see cref="A"/> is the next property that may come; while a key is read <see cref="B"/>..<see cref="C"/> is the range
/// of keys that still match and <see cref="D"/> the bytes read; at the colon <see cref="B"/> is the value's node.
/// Array: <see cref="A"/> is the items so far. String: <see cref="A"/> the characters so far; in a \u escape
/// <see cref="B"/> is 1 when its first hex digit was a d (a surrogate may follow). Number: <see cref="A"/> the digits of
/// the part being read (integer, fraction or exponent). Literal: <see cref="B"/>..<see cref="C"/>
/// the texts that still match, <see cref="D"/> the bytes read. An object with <c>additionalProperties</c> keeps in
/// <see cref="E"/> the last entry of the keys it wrote beyond its listed properties (in the stack's key chain; −1: none),
/// and every object in <see cref="F"/> the keys it has written (for <c>minProperties</c> and <c>maxProperties</c>). A
/// bounded number (JsonSchemaAutomaton's Bounds part) keeps its integer digits' value in C (high half) and D (low half)
/// and its fraction digits' value in <see cref="F"/>.
/// </summary>
internal struct JsonSchemaFrame
{
    /// <summary>The value's schema node.</summary>
    public int Node;

    /// <summary>Where the value is.</summary>
    public JsonSchemaPhase Phase;

    /// <summary>The first counter (see the type).</summary>
    public int A;

    /// <summary>The second counter.</summary>
    public int B;

    /// <summary>The third counter.</summary>
    public int C;

    /// <summary>The fourth counter.</summary>
    public int D;

    /// <summary>The fifth counter.</summary>
    public int E;

    /// <summary>The sixth counter (a wide one).</summary>
    public long F;
}
