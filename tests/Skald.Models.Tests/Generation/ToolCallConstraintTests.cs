using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="ToolCallConstraint"/> on a hand-built vocabulary: at each step of a Hermes answer to
/// <c>tool_choice: "required"</c> the tokens left are the ones worked out by hand, the end-of-sequence token (no bytes)
/// is masked inside a call and let through, its logit untouched, only after a call's close, where it ends the answer;
/// without parallel calls the close itself ends it. On a real byte-level vocabulary a step allocates nothing, in the
/// name, in schema-held arguments and after a close.
/// </summary>
public sealed class ToolCallConstraintTests
{
    // id → bytes; 8 is the end-of-sequence token (a special token: no bytes)
    private static readonly string[] Tokens =
        ["get", "_time", "\"", ", \"arguments\": ", "{", "}", "}\n</tool_call>", "\n", "", "x", "<tool_call>\n{\"name\": \""];

    private const int Eos = 8;

    private static ToolCallConstraint Constraint(bool parallel)
    {
        var vocabulary = new JsonVocabulary([.. Tokens.Select(System.Text.Encoding.UTF8.GetBytes)], Tokens.Length);
        var grammar = new ToolCallGrammar(ToolCallFormat.Hermes, [("get", null), ("get_time", null)], parallel);
        return (ToolCallConstraint)grammar.Constraint(vocabulary, [Eos]);
    }

    private static int[] Allowed(ToolCallConstraint constraint)
    {
        var logits = Enumerable.Range(0, Tokens.Length).Select(i => i + 0.25f).ToArray();
        Assert.True(constraint.Mask(logits));
        for (int i = 0; i < logits.Length; i++)
            Assert.True(float.IsNegativeInfinity(logits[i]) || logits[i] == i + 0.25f, $"logit {i} was changed to {logits[i]}");
        return [.. Enumerable.Range(0, Tokens.Length).Where(i => !float.IsNegativeInfinity(logits[i]))];
    }

    [Fact]
    public void TheEndComesOnlyAfterACallsClose()
    {
        var constraint = Constraint(parallel: true);
        Assert.Equal([0], Allowed(constraint));        // "get": both names start so
        Assert.False(constraint.Accept(0));
        Assert.Equal([1, 2], Allowed(constraint));     // "_time" (get_time) or the quote (get)
        Assert.False(constraint.Accept(2));
        Assert.Equal([3], Allowed(constraint));        // the text up to the arguments
        Assert.False(constraint.Accept(3));
        Assert.Equal([4, 7], Allowed(constraint));     // an object (any object: whitespace may come first, as JSON mode lets it)
        Assert.False(constraint.Accept(4));
        Assert.Equal([2, 5, 7], Allowed(constraint));  // a key, its close, whitespace; not the end
        Assert.False(constraint.Accept(5));
        Assert.Equal([5, 6], Allowed(constraint));     // the call's close, alone or with the block's
        Assert.False(constraint.Accept(6));
        Assert.Equal([7, Eos], Allowed(constraint));   // another block, or the end
        Assert.False(constraint.Complete);
        Assert.True(constraint.Accept(Eos));
        Assert.True(constraint.Complete);
    }

    [Fact]
    public void WithoutParallelCallsTheBlocksCloseIsTheEnd()
    {
        var constraint = Constraint(parallel: false);
        foreach (int id in new[] { 0, 1, 2, 3, 4, 5 }) Assert.False(constraint.Accept(id)); // get_time", "arguments": {}
        Assert.Equal([5, 6], Allowed(constraint));
        Assert.True(constraint.Accept(6));
        Assert.True(constraint.Complete);
    }

    [Fact]
    public void AStepAllocatesNothing()
    {
        var bytes = Skald.Tokenizers.Tokenizer.FromFile(Path.Combine(TestPaths.Fixtures, "tokenizers", "bpe-qwen2", "tokenizer.json")).TokenBytes();
        var vocabulary = new JsonVocabulary(bytes, bytes.Length);
        var logits = new float[bytes.Length];
        var schema = JsonSchemaGrammar.Compile(System.Text.Json.JsonDocument.Parse(
            """{"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "array", "items": {"type": "integer"}}}}""").RootElement);
        var grammar = new ToolCallGrammar(ToolCallFormat.Hermes, [("forecast", schema), ("get", null)], parallel: true);
        foreach (string prefix in (string[])["", "fore", "forecast\", \"arguments\": {\"city\": \"O", "forecast\", \"arguments\": {\"days\": [1, ",
                     "get\", \"arguments\": {\"a\": {}}}\n</tool_call>"])
        {
            var constraint = grammar.Constraint(vocabulary, [bytes.Length - 1]);
            foreach (byte b in System.Text.Encoding.UTF8.GetBytes(prefix)) constraint.Accept(Array.FindIndex(bytes, t => t.Length == 1 && t[0] == b));
            constraint.Mask(logits); // warm up: the stacks grow to the deepest walk
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 50; i++) constraint.Mask(logits);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
