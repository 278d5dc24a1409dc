namespace Skald.Models.Generation;

/// <summary>
/// Integers with bounds (<c>minimum</c>, <c>maximum</c>, <c>exclusiveMinimum</c>, <c>exclusiveMaximum</c>) in
/// <see cref="JsonSchemaAutomaton"/>: a digit is taken when some integer within the node's bounds (and
/// <see cref="JsonSchemaAutomaton.MaxDigits"/> digits) begins with the digits so far, and the number may end only on a
/// value within them, so the texts taken are exactly the integers in range. The frame keeps the sign in B and the value
/// of the digits so far in C (high half) and D (low half).
/// </summary>
internal partial struct JsonSchemaAutomaton
{
    // After a minus sign: whether some integer in bounds is written with one (-0 is 0).
    private readonly bool NegativeFits(JsonSchemaNode node)
    {
        for (int d = 0; d <= 9; d++)
        {
            if (Feasible(node, d, 1, negative: true, closed: d == 0)) return true;
        }
        return false;
    }

    // The digit b of a bounded integer (the first of its digits, or a further one; A already counts it).
    private bool BoundedDigit(byte b, bool first)
    {
        long value = (first ? 0 : Digits()) * 10 + (b - '0');
        (frame.C, frame.D) = ((int)(value >> 32), (int)value);
        return Feasible(stack.Nodes[frame.Node], value, frame.A, frame.B == 1, closed: frame.Phase == JsonSchemaPhase.Zero);
    }

    // Whether the integer read so far lies within its node's bounds.
    private readonly bool InBounds(JsonSchemaNode node)
    {
        long value = frame.B == 1 ? -Digits() : Digits();
        return value >= node.Low && value <= node.High;
    }

    private readonly long Digits() => (long)frame.C << 32 | (uint)frame.D;

    // Whether an integer of the node's bounds begins with the `digits` digits of `prefix` (and the sign): the prefix
    // itself, or one with j more digits, [prefix·10^j, (prefix+1)·10^j − 1], up to MaxDigits in all (none after a
    // leading zero).
    private static bool Feasible(JsonSchemaNode node, long prefix, int digits, bool negative, bool closed)
    {
        Int128 low = prefix, high = prefix;
        int more = closed ? 0 : MaxDigits - digits;
        for (int j = 0; j <= more; j++)
        {
            Int128 a = negative ? -high : low, z = negative ? -low : high;
            if (a <= node.High && z >= node.Low) return true;
            (low, high) = (low * 10, high * 10 + 9);
        }
        return false;
    }
}
