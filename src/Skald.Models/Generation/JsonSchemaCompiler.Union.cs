namespace Skald.Models.Generation;

/// <summary>The unions of <see cref="JsonSchemaCompiler"/>: anyOf and lists of types, told apart by a value's first byte.</summary>
internal sealed partial class JsonSchemaCompiler
{
    // A node for the union at `at` before its alternatives are compiled, so that a $ref back to it from inside one of
    // their objects or arrays is that union (one with no container between is still a loop).
    private int Reserve(string at)
    {
        int index = Add(new JsonSchemaNode(JsonSchemaKind.Union));
        compiled[at] = index;
        reserved[at] = containers;
        return index;
    }

    // The reserved node `early` becomes what the union at `at` compiled to (`result`).
    private int Settle(int early, int result, string at)
    {
        nodes[early] = nodes[result];
        if (alternatives.TryGetValue(result, out var each)) alternatives[early] = each;
        if (pointers.TryGetValue(result, out var location)) pointers[early] = location;
        reserved.Remove(at);
        return early;
    }

    // One node for `members` (of anyOf or a list of types): alternatives merged where one covers another, and
    // refused where two could start with the same byte.
    private int Union(List<int> members, string keyword, string at)
    {
        var flat = new List<int>();
        foreach (int m in members)
        {
            if (nodes[m].Kind == JsonSchemaKind.Union && !alternatives.ContainsKey(m)) // reserved, not compiled yet
            {
                throw Error(keyword, at, "has an alternative that refers back to an enclosing anyOf or list of types, which is not supported: " +
                    "refer to an object or array");
            }
            if (alternatives.TryGetValue(m, out var inner)) flat.AddRange(inner);
            else flat.Add(m);
        }
        if (flat.Any(m => nodes[m].Kind == JsonSchemaKind.Number)) flat.RemoveAll(m => nodes[m].Kind == JsonSchemaKind.Integer); // a number covers an integer
        var literals = flat.Where(m => nodes[m].Kind == JsonSchemaKind.Literal).ToList();
        if (literals.Count > 1)
        {
            var texts = literals.SelectMany(m => nodes[m].Texts).DistinctBy(Convert.ToBase64String).ToArray();
            System.Array.Sort(texts, (a, b) => a.AsSpan().SequenceCompareTo(b));
            flat.RemoveAll(literals.Contains);
            flat.Add(Add(new JsonSchemaNode(JsonSchemaKind.Literal) { Texts = texts }));
        }
        flat = [.. flat.Distinct()];
        if (flat.Count == 1) return flat[0];
        var dispatch = new int[256];
        System.Array.Fill(dispatch, -1);
        foreach (int m in flat)
        {
            foreach (byte b in FirstBytes(nodes[m]))
            {
                if (dispatch[b] >= 0 && dispatch[b] != m)
                {
                    if (nodes[m].Kind == nodes[dispatch[b]].Kind && nodes[m].Kind is JsonSchemaKind.Object or JsonSchemaKind.Array)
                    {
                        string kind = nodes[m].Kind == JsonSchemaKind.Object ? "object" : "array";
                        throw Error(keyword, at, $"has two {kind} alternatives ({Where(dispatch[b])} and {Where(m)}): Skald tells alternatives apart by " +
                            $"their first character, so it cannot choose between two {kind} schemas (a union of models): merge them into one " +
                            "with optional properties, or give each its own property");
                    }
                    throw Error(keyword, at, $"has two alternatives that can both start with '{(char)b}': Skald tells them apart by their first " +
                        "character, so it takes at most one object, one array, one string and one number schema, and literals that start differently");
                }
                dispatch[b] = m;
            }
        }
        int union = Add(new JsonSchemaNode(JsonSchemaKind.Union) { Dispatch = dispatch });
        alternatives[union] = [.. flat];
        return union;
    }

    // Where an object or array node's schema stands ("the top" for the root).
    private string Where(int node) => pointers.GetValueOrDefault(node, "") is { Length: > 0 } at ? at : "the top";

    private static IEnumerable<byte> FirstBytes(JsonSchemaNode node) => node.Kind switch
    {
        JsonSchemaKind.Object => "{"u8.ToArray(),
        JsonSchemaKind.Array => "["u8.ToArray(),
        JsonSchemaKind.String => "\""u8.ToArray(),
        JsonSchemaKind.Number or JsonSchemaKind.Integer => "-0123456789"u8.ToArray(),
        _ => node.Texts.Select(t => t[0]).Distinct(),
    };
}
