namespace Skald.Models.Generation;

/// <summary>
/// Integers and numbers with bounds (<c>minimum</c>, <c>maximum</c>, <c>exclusiveMinimum</c>, <c>exclusiveMaximum</c>)
/// or a step (<c>multipleOf</c>) in <see cref="JsonSchemaAutomaton"/>: a digit (or a number's point) is taken when some
/// value within the node's bounds and a multiple of its step (written with at most <see cref="JsonSchemaAutomaton.MaxDigits"/>
/// digits before and after the point) begins with the text so far, and the number may end only on such a value, so the
/// texts taken are exactly those values. A bounded number has no exponent. The values are whole numbers of the node's
/// units (1 for an integer, 10^−MaxDigits for a number): the digits so far and j more reach an interval of them, and an
/// interval holds a multiple of the step when the greatest multiple at or below its end is at or above its start. The
/// frame keeps the sign in B, the integer digits' value in C (high half) and D (low half) and the fraction's in F.
/// </summary>
internal partial struct JsonSchemaAutomaton
{
    private static readonly Int128[] Powers = [.. Enumerable.Range(0, MaxDigits + 1).Select(n => Enumerable.Repeat((Int128)10, n).Aggregate((Int128)1, (p, t) => p * t))];

    private static readonly Int128 Scale = Powers[MaxDigits];

    // After a minus sign: whether some value in bounds is written with one (-0 is 0).
    private readonly bool NegativeFits(JsonSchemaNode node)
    {
        for (int d = 0; d <= 9; d++)
        {
            if (Reaches(node, true, d, 1, closed: d == 0)) return true;
        }
        return false;
    }

    // The digit b of a bounded number (the first of its part, or a further one; A already counts it).
    private bool BoundedDigit(byte b, bool first)
    {
        var node = stack.Nodes[frame.Node];
        if (frame.Phase == JsonSchemaPhase.Frac)
        {
            frame.F = (first ? 0 : frame.F) * 10 + (b - '0');
            return Fraction(node);
        }
        long value = (first ? 0 : Digits()) * 10 + (b - '0');
        (frame.C, frame.D) = ((int)(value >> 32), (int)value);
        return Reaches(node, frame.B == 1, value, frame.A, closed: frame.Phase == JsonSchemaPhase.Zero);
    }

    // The point of a bounded number: whether some value in bounds has the integer digits so far and a fraction.
    private bool BoundedPoint(JsonSchemaNode node)
    {
        (frame.A, frame.F) = (0, 0);
        return Fraction(node);
    }

    // Whether some value in bounds begins with the integer digits and the A fraction digits so far (the point read).
    private readonly bool Fraction(JsonSchemaNode node)
    {
        var unit = Pow10(MaxDigits - frame.A);
        Int128 start = Digits() * Scale + frame.F * unit;
        return Meets(node, frame.B == 1, start, start + unit - 1);
    }

    // Whether the number read so far lies within its node's bounds and is a multiple of its step.
    private readonly bool InBounds(JsonSchemaNode node)
    {
        Int128 value = node.Kind == JsonSchemaKind.Integer ? Digits()
            : Digits() * Scale + (frame.Phase == JsonSchemaPhase.Frac ? frame.F * Pow10(MaxDigits - frame.A) : 0);
        return Meets(node, frame.B == 1, value, value);
    }

    private readonly long Digits() => (long)frame.C << 32 | (uint)frame.D;

    // Whether a value of the node's bounds begins with the `digits` integer digits of `prefix` (and the sign): the
    // prefix itself, or one with j more digits, [prefix·10^j, (prefix+1)·10^j − 1] (times the units of a number, any
    // fraction after it), up to MaxDigits in all (none after a leading zero).
    private static bool Reaches(JsonSchemaNode node, bool negative, long prefix, int digits, bool closed)
    {
        Int128 units = node.Kind == JsonSchemaKind.Integer ? 1 : Scale;
        Int128 low = prefix, high = prefix;
        int more = closed ? 0 : MaxDigits - digits;
        for (int j = 0; j <= more; j++)
        {
            if (Meets(node, negative, low * units, (high + 1) * units - 1)) return true;
            (low, high) = (low * 10, high * 10 + 9);
        }
        return false;
    }

    // Whether the values of magnitude start..end (negative: their opposites) hold one within the node's bounds that is a
    // multiple of its step.
    private static bool Meets(JsonSchemaNode node, bool negative, Int128 start, Int128 end)
    {
        Int128 a = negative ? -end : start, z = negative ? -start : end;
        a = Int128.Max(a, node.Low);
        z = Int128.Min(z, node.High);
        if (a > z) return false;
        if (node.Step == 1) return true;
        Int128 rest = z % node.Step;
        if (rest < 0) rest += node.Step;
        return z - rest >= a;
    }

    private static Int128 Pow10(int n) => Powers[n];
}
