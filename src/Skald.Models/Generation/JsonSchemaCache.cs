using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// The schemas compiled lately, by their JSON text, so that requests that send the same schema (a client's structured
/// output type, sent with every call) compile it once: a large schema costs tens of milliseconds and megabytes to
/// compile. Least recently used first out, within a number of schemas and of characters of their texts (a grammar's
/// size follows its text's), so what it keeps stays small whatever clients send; thread-safe; a schema the compiler
/// refuses is not kept.
/// </summary>
internal sealed class JsonSchemaCache
{
    private readonly int capacity;
    private readonly int maxChars;
    private long chars; // of the texts kept
    private readonly Dictionary<string, LinkedListNode<(string Text, JsonSchemaGrammar Grammar)>> byText = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Text, JsonSchemaGrammar Grammar)> recent = new(); // most recently used first
    private readonly Lock gate = new();

    /// <summary>A cache of at most <paramref name="capacity"/> schemas whose texts have at most <paramref name="maxChars"/> characters in all.</summary>
    public JsonSchemaCache(int capacity, int maxChars)
    {
        this.capacity = capacity;
        this.maxChars = maxChars;
    }

    /// <summary>The schemas kept.</summary>
    public int Count
    {
        get
        {
            lock (gate) return byText.Count;
        }
    }

    /// <summary>The grammar of <paramref name="schema"/>: the one kept for its text, or <paramref name="compile"/>'s, then kept.</summary>
    public JsonSchemaGrammar Get(JsonElement schema, Func<JsonElement, JsonSchemaGrammar> compile)
    {
        string text = schema.GetRawText();
        lock (gate)
        {
            if (byText.TryGetValue(text, out var hit))
            {
                recent.Remove(hit);
                recent.AddFirst(hit);
                return hit.Value.Grammar;
            }
        }
        var grammar = compile(schema); // outside the lock: a slow schema holds up no other request
        if (text.Length > maxChars) return grammar;
        lock (gate)
        {
            if (byText.TryGetValue(text, out var raced)) return raced.Value.Grammar;
            byText[text] = recent.AddFirst((text, grammar));
            chars += text.Length;
            while (byText.Count > capacity || chars > maxChars)
            {
                var last = recent.Last!.Value.Text;
                byText.Remove(last);
                recent.RemoveLast();
                chars -= last.Length;
            }
        }
        return grammar;
    }
}
