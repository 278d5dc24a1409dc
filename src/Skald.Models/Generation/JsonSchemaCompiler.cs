using System.Text;
using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// Turns a JSON schema into <see cref="JsonSchemaNode"/>s (<see cref="JsonSchemaGrammar.Compile"/> says which keywords
/// are taken, ignored and refused). Each schema location is compiled once, by its JSON pointer, so a <c>$ref</c> back to
/// an enclosing object or array is a cycle of node indices; a <c>$ref</c> or <c>anyOf</c> loop with no object or array
/// between is refused. Where a union's alternatives start with different bytes, the automaton knows at a value's first
/// byte which one it reads; those that start alike it reads side by side (<see cref="JsonSchemaAutomaton"/>), and a
/// schema that could keep more than <see cref="MaxWidth"/> of them alive at once is refused.
/// </summary>
internal sealed partial class JsonSchemaCompiler
{
    private const int MaxNesting = 256; // schema locations open at once (a deeper schema is refused, never a stack overflow)

    // annotations; format among them but for the formats of a string that JsonFormatReader checks
    private static readonly HashSet<string> Ignored =
        ["description", "title", "$schema", "$id", "$comment", "default", "examples", "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "format"];

    private static readonly HashSet<string> Taken =
        ["type", "properties", "required", "additionalProperties", "enum", "const", "items", "minItems", "maxItems", "minLength", "maxLength", "anyOf", "$ref",
         "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minProperties", "maxProperties", "multipleOf"];

    private static readonly string[] Types = ["object", "array", "string", "number", "integer", "boolean", "null"];

    private readonly JsonElement root;
    private readonly List<JsonSchemaNode> nodes = [];
    private readonly Dictionary<string, int> compiled = [];
    private readonly HashSet<string> open = [];
    private readonly Dictionary<int, int[]> alternatives = []; // each union's nodes
    private readonly Dictionary<int, string> pointers = [];   // each object and array node's schema location
    private readonly Dictionary<string, int> reserved = [];   // unions being compiled: the containers open when each began
    private readonly Dictionary<int, (string Keyword, string At)> unionAt = []; // each union node's keyword and schema location
    private int containers;                                    // objects and arrays being compiled
    private string where = "";                                  // the schema location being compiled

    private JsonSchemaCompiler(JsonElement root) => this.root = root;

    /// <summary>Compiles <paramref name="schema"/>; throws <see cref="JsonSchemaException"/> naming the keyword and its pointer.</summary>
    public static JsonSchemaGrammar Compile(JsonElement schema)
    {
        var compiler = new JsonSchemaCompiler(schema);
        if (schema.ValueKind != JsonValueKind.Object)
            throw new JsonSchemaException("", "", "the JSON schema must be an object with \"type\": \"object\"");
        int top;
        try
        {
            top = compiler.Node(schema, "", 0);
        }
        catch (InvalidOperationException) // a key System.Text.Json cannot read as a string
        {
            throw new JsonSchemaException("", compiler.where, $"JSON schema: the schema at {(compiler.where.Length == 0 ? "the top" : compiler.where)} " +
                "holds a key that is not valid Unicode (a lone surrogate escape)");
        }
        if (compiler.nodes[top].Kind != JsonSchemaKind.Object)
            throw Error("type", "", "must be \"object\" at the top level (as OpenAI's structured outputs require)");
        compiler.Depths(top);
        compiler.Widths();
        return new JsonSchemaGrammar([.. compiler.nodes], top);
    }

    // Each node's MinDepth, the least fixed point of its definition; a top level that needs more than the automaton's
    // nesting limit (a required property or minItems that leads back to itself) is refused, naming where it loops.
    private void Depths(int top)
    {
        foreach (var n in nodes) n.MinDepth = n.Kind is JsonSchemaKind.Object or JsonSchemaKind.Array or JsonSchemaKind.Union ? int.MaxValue : 0;
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int i = 0; i < nodes.Count; i++)
            {
                var n = nodes[i];
                int depth = n.Kind switch
                {
                    JsonSchemaKind.Object => Deeper(ObjectDepth(n)),
                    JsonSchemaKind.Array => n.Min == 0 ? 1 : Deeper(nodes[n.Items].MinDepth),
                    JsonSchemaKind.Union => alternatives[i].Min(a => nodes[a].MinDepth),
                    _ => 0,
                };
                if (depth < n.MinDepth)
                {
                    n.MinDepth = depth;
                    changed = true;
                }
            }
        }
        if (nodes[top].MinDepth <= JsonAutomaton.MaxDepth) return;
        // follow what forces the depth from the top until a node comes back (where the schema loops) or fits
        var seen = new HashSet<int>();
        int at = top, last = top;
        string keyword = "required";
        while (nodes[at].MinDepth > JsonAutomaton.MaxDepth && seen.Add(at))
        {
            last = at;
            var n = nodes[at];
            keyword = n.Kind == JsonSchemaKind.Array ? "minItems" : "required";
            if (n.Kind == JsonSchemaKind.Object && Deeper(RequiredDepth(n)) <= JsonAutomaton.MaxDepth)
            {
                keyword = "minProperties"; // the required ones fit: the optional ones it asks for do not
                break;
            }
            at = n.Kind == JsonSchemaKind.Array ? n.Items
                : n.Kind == JsonSchemaKind.Union ? alternatives[at].MinBy(a => nodes[a].MinDepth)
                : Enumerable.Range(0, n.PropertyNode.Length).Where(p => n.NextRequired[p] == p).Select(p => n.PropertyNode[p]).MaxBy(c => nodes[c].MinDepth);
        }
        throw Error(keyword, pointers.GetValueOrDefault(last, ""),
            $"makes every document nest deeper than {JsonAutomaton.MaxDepth} levels (a loop back to itself, or a chain too long): " +
            (keyword == "minProperties" ? "lower it" : "make it optional"));
    }

    // The most nesting the values of an object's fewest properties need: every required one, and if minProperties asks
    // for more, the optional ones (and others, with additionalProperties) that nest least.
    private int ObjectDepth(JsonSchemaNode n)
    {
        int depth = RequiredDepth(n);
        int more = n.Min - n.RequiredFrom[0];
        if (more <= 0) return depth;
        var optional = Enumerable.Range(0, n.PropertyNode.Length).Where(p => n.NextRequired[p] != p).Select(p => nodes[n.PropertyNode[p]].MinDepth)
            .Concat(n.Extra >= 0 ? Enumerable.Repeat(nodes[n.Extra].MinDepth, more) : []).Order().ToList();
        return optional.Count < more ? int.MaxValue : Math.Max(depth, optional[more - 1]);
    }

    // The most nesting the values of an object's required properties need.
    private int RequiredDepth(JsonSchemaNode n) =>
        Enumerable.Range(0, n.PropertyNode.Length).Where(p => n.NextRequired[p] == p).Select(p => nodes[n.PropertyNode[p]].MinDepth).DefaultIfEmpty(0).Max();

    private static int Deeper(int depth) => depth >= JsonAutomaton.MaxDepth ? int.MaxValue : depth + 1;

    private static JsonSchemaException Error(string keyword, string at, string what)
    {
        string pointer = at + "/" + keyword.Replace("~", "~0").Replace("/", "~1");
        return new JsonSchemaException(keyword, pointer, $"JSON schema: \"{keyword}\" at {pointer} {what}");
    }

    private static string Child(string at, string segment) => at + "/" + segment.Replace("~", "~0").Replace("/", "~1");

    private int Add(JsonSchemaNode node)
    {
        nodes.Add(node);
        return nodes.Count - 1;
    }

    // The node of the schema `s` at pointer `at`.
    private int Node(JsonElement s, string at, int nesting)
    {
        if (compiled.TryGetValue(at, out int done))
        {
            if (reserved.TryGetValue(at, out int outside) && outside == containers)
                throw Error("$ref", at, "refers back to itself with no object or array between (a loop)");
            return done;
        }
        where = at;
        if (s.ValueKind != JsonValueKind.Object)
        {
            string key = at.Length == 0 ? "" : at[(at.LastIndexOf('/') + 1)..];
            throw new JsonSchemaException(key, at, $"JSON schema: the schema at {(at.Length == 0 ? "the top" : at)} must be an object " +
                $"(boolean schemas are not supported), got {s.ValueKind.ToString().ToLowerInvariant()}");
        }
        if (nesting > MaxNesting)
        {
            throw new JsonSchemaException(at[(at.LastIndexOf('/') + 1)..], at, $"JSON schema: the schema at {at} lies more than {MaxNesting} " +
                "schemas deep (counting each properties, items, anyOf and $ref step from the top): make the schema shallower");
        }
        if (!open.Add(at)) throw Error("$ref", at, "refers back to itself with no object or array between (a loop)");
        try
        {
            foreach (var p in s.EnumerateObject())
            {
                if (!Ignored.Contains(p.Name) && !Taken.Contains(p.Name))
                    throw Error(p.Name, at, "is not supported: Skald's JSON schemas take type, properties, required, additionalProperties, " +
                        "enum, const, items, minItems, maxItems, minLength, maxLength, minProperties, maxProperties, minimum, maximum, " +
                        "exclusiveMinimum, exclusiveMaximum, multipleOf, format, anyOf and $ref (annotations such as description are ignored)");
            }
            int node = Build(s, at, nesting);
            compiled[at] = node;
            return node;
        }
        finally
        {
            open.Remove(at);
        }
    }

    private int Build(JsonElement s, string at, int nesting)
    {
        if (s.TryGetProperty("$ref", out var reference))
        {
            foreach (var p in s.EnumerateObject())
            {
                // an empty schema beside it constrains nothing (System.Text.Json writes "items": {} beside a $ref to a list)
                bool nothing = p.Name is "items" or "properties" or "additionalProperties"
                    && p.Value.ValueKind == JsonValueKind.Object && !p.Value.EnumerateObject().Any();
                if (p.Name != "$ref" && !Ignored.Contains(p.Name) && !nothing)
                    throw Error(p.Name, at, "cannot stand beside \"$ref\" (put it in the schema referred to)");
            }
            var (target, pointer) = Resolve(reference, at);
            return Node(target, pointer, nesting + 1);
        }
        if (s.TryGetProperty("anyOf", out var anyOf))
        {
            foreach (var p in s.EnumerateObject())
            {
                if (p.Name != "anyOf" && !Ignored.Contains(p.Name)) throw Error(p.Name, at, "cannot stand beside \"anyOf\" (put it in each alternative)");
            }
            if (anyOf.ValueKind != JsonValueKind.Array || anyOf.GetArrayLength() == 0) throw Error("anyOf", at, "must be a non-empty array of schemas");
            int pending = Reserve(at);
            var members = new List<int>();
            int i = 0;
            foreach (var alternative in anyOf.EnumerateArray()) members.Add(Node(alternative, Child(Child(at, "anyOf"), $"{i++}"), nesting + 1));
            return Settle(pending, Union(members, "anyOf", at), at);
        }
        var types = TypeList(s, at);
        if (s.TryGetProperty("enum", out _) || s.TryGetProperty("const", out _))
        {
            // the values are written as they are, so a keyword that could refuse one of them (maxLength, properties) is refused
            foreach (var p in s.EnumerateObject())
            {
                if (p.Name is not ("enum" or "const" or "type") && !Ignored.Contains(p.Name))
                    throw Error(p.Name, at, $"cannot stand beside \"{(s.TryGetProperty("enum", out _) ? "enum" : "const")}\" (only type can: list the values that fit)");
            }
            return Literal(s, at, types);
        }
        if (types is null)
        {
            if (Has(s, "properties", "required", "additionalProperties", "minProperties", "maxProperties")) types = ["object"];
            else if (Has(s, "items", "minItems", "maxItems")) types = ["array"];
            else if (Has(s, "minLength", "maxLength")) types = ["string"];
            else throw Error("type", at, "is missing: a schema needs a type, enum, const, anyOf or $ref");
        }
        var distinct = types.Distinct().ToList();
        // a $ref back here from inside the object or array (System.Text.Json's "type": ["object", "null"] for a nullable
        // record that holds itself) is the union this location becomes
        int early = distinct.Count > 1 && distinct.Any(t => t is "object" or "array") ? Reserve(at) : -1;
        var parts = new List<int>();
        foreach (string type in distinct)
        {
            parts.Add(type switch
            {
                "object" => Object(s, at, nesting, distinct.Count == 1),
                "array" => Array(s, at, nesting, distinct.Count == 1),
                "string" => String(s, at),
                "number" => Number(s, at),
                "integer" => Integer(s, at),
                "boolean" => Add(new JsonSchemaNode(JsonSchemaKind.Literal) { Texts = ["false"u8.ToArray(), "true"u8.ToArray()] }),
                _ => Add(new JsonSchemaNode(JsonSchemaKind.Literal) { Texts = ["null"u8.ToArray()] }),
            });
        }
        int union = Union(parts, "type", at);
        return early < 0 ? union : Settle(early, union, at);
    }

    private static bool Has(JsonElement s, params string[] keys) => keys.Any(k => s.TryGetProperty(k, out _));

    // The schema's "type" as a list (null: none given).
    private static List<string>? TypeList(JsonElement s, string at)
    {
        if (!s.TryGetProperty("type", out var type)) return null;
        var names = type.ValueKind == JsonValueKind.String ? [type.GetString()!]
            : type.ValueKind == JsonValueKind.Array && type.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String) && type.GetArrayLength() > 0
                ? type.EnumerateArray().Select(t => t.GetString()!).ToList()
                : throw Error("type", at, "must be a type name or a non-empty list of them");
        foreach (string name in names)
        {
            if (!Types.Contains(name)) throw Error("type", at, $"\"{name}\" is not a JSON schema type ({string.Join(", ", Types)})");
        }
        return names;
    }

    private (JsonElement Target, string Pointer) Resolve(JsonElement reference, string at)
    {
        string text = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : throw Error("$ref", at, "must be a string");
        if (!text.StartsWith('#')) throw Error("$ref", at, $"\"{text}\" is not supported: only references inside the schema (\"#/$defs/Name\") are");
        var target = root;
        string pointer = "";
        if (text.Length > 1)
        {
            if (text[1] != '/') throw Error("$ref", at, $"\"{text}\" is not a JSON pointer into the schema (\"#/$defs/Name\")");
            foreach (string raw in text[2..].Split('/'))
            {
                string segment = Uri.UnescapeDataString(raw).Replace("~1", "/").Replace("~0", "~");
                bool found = target.ValueKind == JsonValueKind.Object ? target.TryGetProperty(segment, out target)
                    : target.ValueKind == JsonValueKind.Array && int.TryParse(segment, out int i) && i >= 0 && i < target.GetArrayLength()
                        && (target = target[i]).ValueKind != JsonValueKind.Undefined;
                if (!found) throw Error("$ref", at, $"\"{text}\" points to nothing in the schema");
                pointer = Child(pointer, segment);
            }
        }
        return (target, pointer);
    }

    private int Array(JsonElement s, string at, int nesting, bool alone)
    {
        var node = new JsonSchemaNode(JsonSchemaKind.Array);
        int index = Add(node);
        pointers[index] = at;
        if (alone) compiled[at] = index;
        if (!s.TryGetProperty("items", out var items)) throw Error("items", at, "is missing: an array schema needs the schema of its items");
        if (items.ValueKind == JsonValueKind.Array)
            throw Error("items", at, "is a list of schemas (the tuple form), which is not supported: give one schema that every item takes");
        (node.Min, node.Max) = Bounds(s, at, "minItems", "maxItems");
        containers++;
        node.Items = Node(items, Child(at, "items"), nesting + 1);
        containers--;
        return index;
    }

    private int String(JsonElement s, string at)
    {
        var (min, max) = Bounds(s, at, "minLength", "maxLength");
        var format = Format(s);
        if (format != JsonStringFormat.None && Has(s, "minLength", "maxLength"))
            throw Error(Has(s, "minLength") ? "minLength" : "maxLength", at, $"cannot stand beside \"format\": \"{s.GetProperty("format").GetString()}\" (its strings' length is the format's)");
        return Add(new JsonSchemaNode(JsonSchemaKind.String) { Min = min, Max = max, Format = format });
    }

    // The format a schema's strings are held to (JsonFormatReader's), or None.
    private static JsonStringFormat Format(JsonElement s) =>
        s.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() switch
        {
            "date" => JsonStringFormat.Date,
            "time" => JsonStringFormat.Time,
            "date-time" => JsonStringFormat.DateTime,
            "uuid" => JsonStringFormat.Uuid,
            "ipv4" => JsonStringFormat.Ipv4,
            _ => JsonStringFormat.None, // email, uri, ...: an annotation
        } : JsonStringFormat.None;

    private static (int Min, int Max) Bounds(JsonElement s, string at, string minKey, string maxKey)
    {
        int Read(string key, int absent) => !s.TryGetProperty(key, out var v) ? absent
            : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n >= 0 && n < int.MaxValue ? n
            : throw Error(key, at, "must be a whole number ≥ 0");
        int min = Read(minKey, 0), max = Read(maxKey, int.MaxValue);
        if (min > max) throw Error(minKey, at, $"is {min}, more than {maxKey} {max}");
        return (min, max);
    }
}
