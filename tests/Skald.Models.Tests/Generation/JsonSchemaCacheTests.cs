using System.Text.Json;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="JsonSchemaGrammar.Compile"/> keeps the schemas it compiled lately (<see cref="JsonSchemaCache"/>): the same
/// text again is the same grammar, compiled once; the least recently used goes first past the count or the characters
/// allowed; a schema the compiler refuses is refused again, not kept.
/// </summary>
public sealed class JsonSchemaCacheTests
{
    private static JsonElement Schema(string property) =>
        JsonDocument.Parse($$$"""{"type": "object", "properties": {"{{{property}}}": {"type": "string"}}, "required": ["{{{property}}}"]}""").RootElement;

    [Fact]
    public void TheSameSchemaTextIsCompiledOnce()
    {
        var schema = Schema("cached-" + Guid.NewGuid().ToString("N"));
        var first = JsonSchemaGrammar.Compile(schema);
        Assert.Same(first, JsonSchemaGrammar.Compile(JsonDocument.Parse(schema.GetRawText()).RootElement));
        Assert.NotSame(first, JsonSchemaGrammar.Compile(Schema("other-" + Guid.NewGuid().ToString("N"))));
    }

    [Fact]
    public void TheLeastRecentlyUsedGoesFirst()
    {
        var cache = new JsonSchemaCache(2, 1 << 20);
        int compiled = 0;
        JsonSchemaGrammar Get(string name) => cache.Get(Schema(name), s =>
        {
            compiled++;
            return JsonSchemaGrammar.Compile(s);
        });
        var a = Get("a");
        Get("b");
        Assert.Same(a, Get("a")); // a is now the most recent
        Get("c");                 // so b goes
        Assert.Equal(3, compiled);
        Assert.Same(a, Get("a"));
        Assert.Equal(3, compiled);
        Get("b");
        Assert.Equal(4, compiled);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void TextsPastTheCharactersAllowedAreNotKept()
    {
        int length = Schema("a").GetRawText().Length;
        var cache = new JsonSchemaCache(10, 2 * length);
        int compiled = 0;
        void Get(string name) => cache.Get(Schema(name), s =>
        {
            compiled++;
            return JsonSchemaGrammar.Compile(s);
        });
        Get("a");
        Get("b");
        Get("c"); // a goes: three texts are past the characters allowed
        Assert.Equal(2, cache.Count);
        Get("a");
        Assert.Equal(4, compiled);
        Get("a-longer-name-than-the-cache-holds-" + new string('x', 3 * length)); // compiled, never kept
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void ARefusedSchemaIsRefusedAgain()
    {
        var bad = JsonDocument.Parse("""{"type": "object", "properties": {"p": {"type": "string", "pattern": "^x"}}}""").RootElement;
        Assert.Throws<JsonSchemaException>(() => JsonSchemaGrammar.Compile(bad));
        Assert.Throws<JsonSchemaException>(() => JsonSchemaGrammar.Compile(bad));
    }
}
