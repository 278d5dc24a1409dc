using System.Text.Json;
using Skald.Tokenizers.Serialization;

namespace Skald.Models.Generation;

/// <summary>
/// The object schemas of <see cref="JsonSchemaCompiler"/>: listed properties in their order, and with
/// <c>additionalProperties</c> (a schema, or <c>true</c> / <c>{}</c> for any JSON value) further keys after them;
/// <c>minProperties</c> and <c>maxProperties</c> bound how many keys it has.
/// </summary>
internal sealed partial class JsonSchemaCompiler
{
    private int anyValue = -1; // the node of any JSON value, once some schema needs it

    private int Object(JsonElement s, string at, int nesting, bool alone)
    {
        var node = new JsonSchemaNode(JsonSchemaKind.Object);
        int index = Add(node);
        pointers[index] = at;
        if (alone) compiled[at] = index; // a $ref back here from inside is this node
        containers++;
        if (s.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind != JsonValueKind.False)
        {
            node.Extra = extra.ValueKind == JsonValueKind.True || extra.ValueKind == JsonValueKind.Object && !extra.EnumerateObject().Any() ? AnyValue()
                : extra.ValueKind == JsonValueKind.Object ? Node(extra, Child(at, "additionalProperties"), nesting + 1)
                : throw Error("additionalProperties", at, "must be false, true or a schema");
        }
        var names = new List<string>();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal); // each name's property (no n² look-ups in a large schema)
        var values = new List<int>();
        if (s.TryGetProperty("properties", out var properties))
        {
            if (properties.ValueKind != JsonValueKind.Object) throw Error("properties", at, "must be an object of schemas");
            foreach (var p in properties.EnumerateObject())
            {
                if (!byName.TryAdd(p.Name, names.Count)) throw Error("properties", at, $"names \"{p.Name}\" twice");
                names.Add(p.Name);
                values.Add(Node(p.Value, Child(Child(at, "properties"), p.Name), nesting + 1));
            }
        }
        var required = new bool[names.Count];
        if (s.TryGetProperty("required", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
                throw Error("required", at, "must be an array of property names");
            foreach (var r in list.EnumerateArray())
            {
                if (!byName.TryGetValue(r.GetString()!, out int i))
                {
                    throw Error("required", at, $"names \"{r.GetString()}\", which is not in properties " +
                        (node.Extra < 0 ? "(no other key may be written)" : "(a key beyond them is optional: list it in properties)"));
                }
                required[i] = true;
            }
        }
        var keys = new byte[names.Count][];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = node.Extra < 0 ? Text(() => JsonSchemaTexts.Key(names[i]), "properties", at)
                : JsonSchemaTexts.PlainKey(names[i]) ?? throw Error("properties", at, $"names \"{names[i]}\", which holds a control character " +
                    "other than \\b \\f \\n \\r \\t (or a lone surrogate): beside additionalProperties a listed name must have one spelling");
        }
        var order = Enumerable.Range(0, keys.Length).ToArray();
        System.Array.Sort(order, (a, b) => keys[a].AsSpan().SequenceCompareTo(keys[b]));
        var next = new int[names.Count + 1];
        next[names.Count] = names.Count;
        for (int i = names.Count - 1; i >= 0; i--) next[i] = required[i] ? i : next[i + 1];
        node.Texts = [.. order.Select(i => keys[i])];
        node.KeyProperty = order;
        node.PropertyNode = [.. values];
        node.NextRequired = next;
        var from = new int[names.Count + 1];
        for (int i = names.Count - 1; i >= 0; i--) from[i] = from[i + 1] + (required[i] ? 1 : 0);
        node.RequiredFrom = from;
        (node.Min, node.Max) = Bounds(s, at, "minProperties", "maxProperties");
        if (from[0] > node.Max) throw Error("maxProperties", at, $"is {node.Max}, fewer than the {Counted.Of(from[0], "property", "properties")} required");
        if (node.Extra < 0 && node.Min > names.Count)
            throw Error("minProperties", at, $"is {node.Min}, more than the {Counted.Of(names.Count, "property", "properties")} the object may have (additionalProperties is false)");
        containers--;
        return index;
    }

    // The node of any JSON value (additionalProperties true or {}): a union of an object of any keys, an array, a
    // string, a number and the literals, its object and array holding it again.
    private int AnyValue()
    {
        if (anyValue >= 0) return anyValue;
        anyValue = Add(new JsonSchemaNode(JsonSchemaKind.Union));
        var parts = new List<int>
        {
            Add(new JsonSchemaNode(JsonSchemaKind.Object) { Extra = anyValue }),
            Add(new JsonSchemaNode(JsonSchemaKind.Array) { Items = anyValue }),
            Add(new JsonSchemaNode(JsonSchemaKind.String)),
            Add(new JsonSchemaNode(JsonSchemaKind.Number)),
            Add(new JsonSchemaNode(JsonSchemaKind.Literal) { Texts = ["false"u8.ToArray(), "null"u8.ToArray(), "true"u8.ToArray()] }),
        };
        int union = Union(parts, "additionalProperties", "");
        nodes[anyValue] = nodes[union];
        alternatives[anyValue] = alternatives[union];
        return anyValue;
    }
}
