using Skald.Models.Tests.Allocation;
using Skald.Models.Generation;
using Skald.Tokenizers;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="JsonConstraint{TAutomaton}"/> over a <see cref="JsonVocabulary"/>: on a hand-built vocabulary the tokens left at each
/// step are the ones worked out by hand, masked logits are −∞ and the others untouched, and a complete object leaves
/// none; on a real byte-level vocabulary, along random walks (inside strings, where plain tokens are let through as a
/// set, and out), the mask lets through exactly the tokens whose bytes the automaton takes one by one; a step
/// allocates nothing.
/// </summary>
public sealed class JsonConstraintTests
{
    // id → bytes; 10 is a special token (no bytes), 17 is past the tokenizer (the LM head is larger)
    private static readonly string[] Tokens =
        ["{", "}", "\"", "a", "\":", "1", "{\"", " ", "x", "}}", "", "1}", "true", "\":1}", "ab", "\",", "\\x"];

    private const int Vocab = 18;

    private static JsonVocabulary HandVocabulary() => new([.. Tokens.Select(System.Text.Encoding.UTF8.GetBytes)], Vocab);

    private static int[] Allowed(JsonConstraint<JsonAutomaton> json, out bool any)
    {
        var logits = Enumerable.Range(0, Vocab).Select(i => i * 0.5f).ToArray();
        any = json.Mask(logits);
        for (int i = 0; i < logits.Length; i++)
        {
            Assert.True(float.IsNegativeInfinity(logits[i]) || logits[i] == i * 0.5f, $"logit {i} was changed to {logits[i]}");
        }
        return [.. Enumerable.Range(0, Vocab).Where(i => !float.IsNegativeInfinity(logits[i]))];
    }

    [Fact]
    public void EachStepLeavesTheTokensThatKeepAValidPrefix()
    {
        var json = new JsonConstraint<JsonAutomaton>(HandVocabulary(), default);
        Assert.Equal([0, 6, 7], Allowed(json, out _)); // "{", "{\"", " "
        Assert.False(json.Accept(6)); // {"  — inside a key: content, or a quote that closes it before a colon; no \x
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14], Allowed(json, out _));
        Assert.False(json.Accept(3));
        Assert.False(json.Accept(4)); // {"a":  — a value or whitespace next
        Assert.Equal([0, 2, 4, 5, 6, 7, 11, 12, 13, 15], Allowed(json, out _)); // a quote opens a string value: ":1} and ", are one
        Assert.True(json.Accept(11)); // {"a":1}
        Assert.Empty(Allowed(json, out bool any));
        Assert.False(any);
    }

    [Fact]
    public void ATokenThatWasNotAllowedIsRefused()
    {
        var json = new JsonConstraint<JsonAutomaton>(HandVocabulary(), default);
        Assert.Throws<InvalidOperationException>(() => json.Accept(3)); // "a" cannot start the text
        Assert.Throws<InvalidOperationException>(() => json.Accept(10)); // no bytes
        Assert.Throws<InvalidOperationException>(() => json.Accept(17));
    }

    [Fact]
    public void AStepAllocatesNothing()
    {
        var bytes = Tokenizer.FromFile(Path.Combine(TestPaths.Fixtures, "tokenizers", "bpe-qwen2", "tokenizer.json")).TokenBytes();
        var vocabulary = new JsonVocabulary(bytes, bytes.Length);
        var logits = new float[bytes.Length];
        int quote = Array.FindIndex(bytes, b => b is [(byte)'"']), brace = Array.FindIndex(bytes, b => b is [(byte)'{']);
        foreach (int[] prefix in (int[][])[[], [brace], [brace, quote]]) // outside strings and inside one
        {
            var json = new JsonConstraint<JsonAutomaton>(vocabulary, default);
            foreach (int id in prefix) json.Accept(id);
            json.Mask(logits); // warm up
            Assert.Equal(0, LeastAllocation.Of(() => json.Mask(logits)));
        }
    }

    [Fact]
    public void TheTrieWalkAllowsExactlyWhatTheAutomatonTakesTokenByToken()
    {
        var tokenizer = Tokenizer.FromFile(Path.Combine(TestPaths.Fixtures, "tokenizers", "bpe-qwen2", "tokenizer.json"));
        var bytes = tokenizer.TokenBytes();
        int vocab = bytes.Length + 3;
        var vocabulary = new JsonVocabulary(bytes, vocab);
        var random = new Random(11);
        var logits = new float[vocab];
        int steps = 0;
        for (int walk = 0; walk < 20; walk++)
        {
            var json = new JsonConstraint<JsonAutomaton>(vocabulary, default);
            var state = new JsonAutomaton();
            for (int step = 0; step < 60 && !state.Complete; step++, steps++)
            {
                Array.Clear(logits);
                Assert.True(json.Mask(logits));
                var allowed = new List<int>();
                for (int id = 0; id < vocab; id++)
                {
                    var copy = state;
                    bool takes = id < bytes.Length && bytes[id].Length > 0 && copy.Advance(bytes[id]);
                    Assert.True(takes == !float.IsNegativeInfinity(logits[id]), $"walk {walk} step {step}: token {id} ({tokenizer.IdToToken(id)})");
                    if (takes) allowed.Add(id);
                }
                // prefer tokens that close something, so that walks also reach deep and complete states
                var closing = allowed.Where(id => bytes[id].AsSpan().IndexOfAny("}]\":,"u8) >= 0).ToList();
                int chosen = closing.Count > 0 && random.Next(2) == 0 ? closing[random.Next(closing.Count)] : allowed[random.Next(allowed.Count)];
                Assert.True(state.Advance(bytes[chosen]));
                Assert.Equal(state.Complete, json.Accept(chosen));
            }
        }
        Assert.True(steps > 300, $"{steps} steps");
    }
}
