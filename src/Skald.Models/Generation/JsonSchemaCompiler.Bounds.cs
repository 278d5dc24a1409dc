using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// The numeric bounds of <see cref="JsonSchemaCompiler"/>: <c>minimum</c>, <c>maximum</c>, <c>exclusiveMinimum</c>,
/// <c>exclusiveMaximum</c> and <c>multipleOf</c> on an integer or a number become the node's least and greatest value
/// and its step, exactly, in units of 1 (an integer) or of 10^−<see cref="JsonSchemaAutomaton.MaxDigits"/> (a number,
/// whose fraction has at most that many digits), so the automaton compares whole numbers (its Bounds part).
/// </summary>
internal sealed partial class JsonSchemaCompiler
{
    private static readonly string[] BoundKeys = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];

    // An integer node with the schema's bounds.
    private int Integer(JsonElement s, string at) => Add(Bounded(new JsonSchemaNode(JsonSchemaKind.Integer), s, at, "integer"));

    // A number node with the schema's bounds.
    private int Number(JsonElement s, string at) => Add(Bounded(new JsonSchemaNode(JsonSchemaKind.Number), s, at, "number"));

    private static JsonSchemaNode Bounded(JsonSchemaNode node, JsonElement s, string at, string what)
    {
        int scale = node.Kind == JsonSchemaKind.Number ? JsonSchemaAutomaton.MaxDigits : 0;
        var largest = BigInteger.Pow(10, JsonSchemaAutomaton.MaxDigits + scale) - 1; // the most a number the automaton writes holds, in units
        BigInteger low = -largest, high = largest;
        foreach (string key in BoundKeys)
        {
            if (!s.TryGetProperty(key, out var v)) continue;
            var (units, exact) = Units(v, scale, key, at);
            switch (key)
            {
                case "minimum": low = BigInteger.Max(low, exact ? units : units + 1); break;
                case "maximum": high = BigInteger.Min(high, units); break;
                case "exclusiveMinimum": low = BigInteger.Max(low, units + 1); break;
                default: high = BigInteger.Min(high, exact ? units - 1 : units); break;
            }
            node.Bounded = true;
        }
        BigInteger step = 1;
        if (s.TryGetProperty("multipleOf", out var m))
        {
            step = BigInteger.Min(Step(m, scale, at), largest + 1); // a step beyond every value written leaves 0 alone, as any larger one
            node.Bounded = true;
        }
        // the least and greatest multiples of the step between the bounds
        var least = Ceiling(low, step) * step;
        var most = high - Mod(high, step);
        if (least > most)
        {
            string key = BoundKeys.Concat(["multipleOf"]).First(k => s.TryGetProperty(k, out _));
            throw Error(key, at, $"leaves no {what} between the bounds{(step > 1 ? " that is a multiple of multipleOf" : "")} " +
                $"({(what == "integer" ? "integers" : "numbers")} are written with at most {JsonSchemaAutomaton.MaxDigits} digits" +
                $"{(what == "number" ? " before and after the point" : "")})");
        }
        (node.Low, node.High, node.Step) = ((Int128)low, (Int128)high, (Int128)step);
        return node;
    }

    private static BigInteger Mod(BigInteger a, BigInteger m) => (a % m + m) % m;

    private static BigInteger Ceiling(BigInteger a, BigInteger m) => BigInteger.Divide(a + Mod(-a, m), m);

    // The step, in units (10^−scale), of the values the automaton writes that are multiples of multipleOf m: the least
    // common multiple of m and one unit. With m = d·10^k units (d whole, k < 0) that is d / gcd(d, 10^−k) (multipleOf
    // 1.5 on an integer: 3; 1e-17 on a number: one unit, every value); beyond every value written, 10^80.
    private static BigInteger Step(JsonElement m, int scale, string at)
    {
        var (digits, shift, length) = Parts(m, scale, "multipleOf", at);
        if (digits.Sign <= 0) throw Error("multipleOf", at, "must be a number > 0");
        if (length + shift > 200) return BigInteger.Pow(10, 80);
        if (shift >= 0) return digits * BigInteger.Pow(10, (int)shift);
        // gcd(d, 10^j) stops growing once j passes the twos and fives in d, fewer than 4 per digit of d
        return digits / BigInteger.GreatestCommonDivisor(digits, BigInteger.Pow(10, (int)Math.Min(-shift, 4L * length)));
    }

    // A JSON number times 10^scale, rounded down (towards −∞), and whether that was exact; magnitudes far beyond
    // anything the automaton writes are cut to ±10^80 (or to 0 or −1 below one unit), which every bound and step
    // compares alike. The cut looks at the value's size, its digits and exponent together (a bound of 300 digits
    // times 10^−250 is 10^50, not tiny).
    private static (BigInteger Units, bool Exact) Units(JsonElement v, int scale, string key, string at)
    {
        var (value, shift, length) = Parts(v, scale, key, at);
        if (value.IsZero) return (0, true);
        long size = length + shift; // 10^(size−1) ≤ |value in units| < 10^size
        if (size > 200) return (value.Sign * BigInteger.Pow(10, 80), true);
        if (size < 0) return (value.Sign < 0 ? -1 : 0, false); // less than one unit: rounded down
        if (shift >= 0) return (value * BigInteger.Pow(10, (int)shift), true);
        var unit = BigInteger.Pow(10, (int)-shift);
        var rest = Mod(value, unit);
        return ((value - rest) / unit, rest.IsZero);
    }

    // A JSON number in units (10^−scale) as its digits (signed, no leading zeros; 0 for zero) times 10^Shift, and how
    // many digits those are; an exponent past a billion is cut to one (far beyond any size Units and Step let through).
    private static (BigInteger Digits, long Shift, int Length) Parts(JsonElement v, int scale, string key, string at)
    {
        if (v.ValueKind != JsonValueKind.Number) throw Error(key, at, "must be a number");
        string text = v.GetRawText();
        int e = text.IndexOfAny(['e', 'E']);
        const long Far = 1_000_000_000;
        long exponent = e < 0 ? 0 : long.TryParse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long x)
            ? Math.Clamp(x, -Far, Far) : text[e + 1] == '-' ? -Far : Far;
        string mantissa = e < 0 ? text : text[..e];
        int dot = mantissa.IndexOf('.');
        string digits = mantissa.TrimStart('-').Replace(".", "", StringComparison.Ordinal).TrimStart('0');
        long shift = scale + exponent - (dot < 0 ? 0 : mantissa.Length - dot - 1);
        if (digits.Length == 0) return (0, shift, 0);
        var value = BigInteger.Parse(digits, CultureInfo.InvariantCulture);
        return (mantissa.StartsWith('-') ? -value : value, shift, digits.Length);
    }
}
