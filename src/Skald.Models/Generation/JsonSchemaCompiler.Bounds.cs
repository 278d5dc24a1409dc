using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// The numeric bounds of <see cref="JsonSchemaCompiler"/>: <c>minimum</c>, <c>maximum</c>, <c>exclusiveMinimum</c> and
/// <c>exclusiveMaximum</c> on an integer become the node's least and greatest value; on a number they are refused (the
/// automaton reads only integers' digits against bounds).
/// </summary>
internal sealed partial class JsonSchemaCompiler
{
    private static readonly string[] BoundKeys = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];

    private const decimal Largest = 9_999_999_999_999_999m; // the most an integer of JsonSchemaAutomaton.MaxDigits digits holds

    // An integer node with the schema's bounds.
    private int Integer(JsonElement s, string at)
    {
        var node = new JsonSchemaNode(JsonSchemaKind.Integer);
        decimal low = -Largest, high = Largest;
        foreach (string key in BoundKeys)
        {
            if (!s.TryGetProperty(key, out var v)) continue;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDecimal(out decimal bound) || Math.Abs(bound) > Largest + 1)
                throw Error(key, at, $"must be a number between -{Largest + 1} and {Largest + 1} (integers have at most {JsonSchemaAutomaton.MaxDigits} digits)");
            switch (key)
            {
                case "minimum": low = Math.Max(low, Math.Ceiling(bound)); break;
                case "maximum": high = Math.Min(high, Math.Floor(bound)); break;
                case "exclusiveMinimum": low = Math.Max(low, Math.Floor(bound) + 1); break;
                default: high = Math.Min(high, Math.Ceiling(bound) - 1); break;
            }
            node.Bounded = true;
        }
        if (low > high)
            throw Error(BoundKeys.First(k => s.TryGetProperty(k, out _)), at, "leaves no integer between the bounds");
        (node.Low, node.High) = ((long)low, (long)high);
        return Add(node);
    }

    // A number node; bounds on it are refused.
    private int Number(JsonElement s, string at)
    {
        foreach (string key in BoundKeys)
        {
            if (s.TryGetProperty(key, out _))
                throw Error(key, at, "is taken on an integer only: a bound on a number (with a fraction or an exponent) is not supported (use \"type\": \"integer\")");
        }
        return Add(new JsonSchemaNode(JsonSchemaKind.Number));
    }
}
