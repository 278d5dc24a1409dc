using System.Runtime.InteropServices;

namespace Skald.Models.Generation;

/// <summary>
/// The unions of <see cref="JsonSchemaCompiler"/>: anyOf and lists of types, told apart by a value's first byte where
/// they start differently, else read side by side (at most <see cref="MaxWidth"/> configurations alive at once).
/// </summary>
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
    // read side by side where several start with the same byte.
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
        // each first byte's alternatives: one is the node, several a list of Choices read side by side
        var starts = new List<int>[256];
        foreach (int m in flat)
        {
            foreach (byte b in FirstBytes(nodes[m])) (starts[b] ??= []).Add(m);
        }
        var dispatch = new int[256];
        var choices = new List<int[]>();
        for (int b = 0; b < 256; b++)
        {
            if (starts[b] is not { } these) dispatch[b] = -1;
            else if (these.Count == 1) dispatch[b] = these[0];
            else
            {
                int k = choices.FindIndex(c => c.AsSpan().SequenceEqual(CollectionsMarshal.AsSpan(these)));
                if (k < 0)
                {
                    k = choices.Count;
                    choices.Add([.. these]);
                }
                dispatch[b] = -2 - k;
            }
        }
        int union = Add(new JsonSchemaNode(JsonSchemaKind.Union) { Dispatch = dispatch, Choices = [.. choices] });
        alternatives[union] = [.. flat];
        unionAt[union] = (keyword, at);
        return union;
    }

    /// <summary>Most configurations a value may keep alive at once (alternatives that start alike, read side by side).</summary>
    public const int MaxWidth = 16;

    // Each node's Width, the least fixed point of its definition (capped past MaxWidth, so a loop through a union
    // whose alternatives start alike ends); a union past MaxWidth is refused, naming its pointer.
    private void Widths()
    {
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var n in nodes)
            {
                int width = n.Kind switch
                {
                    JsonSchemaKind.Object => n.PropertyNode.Select(p => nodes[p].Width).Append(n.Extra >= 0 ? nodes[n.Extra].Width : 1).Max(),
                    JsonSchemaKind.Array => nodes[n.Items].Width,
                    JsonSchemaKind.Union => n.Dispatch.Select(d => d >= 0 ? nodes[d].Width : d == -1 ? 1 : n.Choices[-2 - d].Sum(c => nodes[c].Width)).Max(),
                    _ => 1,
                };
                width = Math.Min(width, MaxWidth + 1);
                if (width > n.Width)
                {
                    n.Width = width;
                    changed = true;
                }
            }
        }
        foreach (var (union, (keyword, at)) in unionAt)
        {
            if (nodes[union].Width > MaxWidth)
            {
                throw Error(keyword, at, $"has alternatives that start alike (read side by side) nested or repeated inside each other so " +
                    $"that more than {MaxWidth} would be read at once: give the alternatives different first characters (a property of their own)");
            }
        }
    }

    private static IEnumerable<byte> FirstBytes(JsonSchemaNode node) => node.Kind switch
    {
        JsonSchemaKind.Object => "{"u8.ToArray(),
        JsonSchemaKind.Array => "["u8.ToArray(),
        JsonSchemaKind.String => "\""u8.ToArray(),
        JsonSchemaKind.Number or JsonSchemaKind.Integer => "-0123456789"u8.ToArray(),
        _ => node.Texts.Select(t => t[0]).Distinct(),
    };
}
