using System.Text.Json;
using Skald.Models.Generation;
using Skald.Tests;
using Skald.Tokenizers;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Special tokens under <see cref="JsonConstraint{TAutomaton}"/>, on the Qwen2 fixture tokenizer (<c>&lt;|begin_of_text|&gt;</c>
/// and <c>&lt;|end_of_text|&gt;</c> special, <c>&lt;|im_start|&gt;</c> an added token that is not): a special token,
/// which decoding drops from the text, is never let through, not even inside a string where its bytes would be plain
/// content, so the text a row decodes to is exactly the bytes the automaton read; an added token that is not special
/// is text like any other.
/// </summary>
public sealed class JsonSpecialTokenTests
{
    private const string Schema = """
        {"type": "object", "properties": {"s": {"type": "string"}, "b": {"type": "string", "maxLength": 30}, "n": {"type": "number", "maximum": 5}},
         "required": ["s", "b", "n"]}
        """;

    [Fact]
    public void NoSpecialTokenIsLetThroughAndTheDecodedTextIsWhatTheAutomatonRead()
    {
        var tokenizer = Tokenizer.FromFile(Path.Combine(TestPaths.Fixtures, "tokenizers", "bpe-qwen2", "tokenizer.json"));
        int[] special = [tokenizer.TokenToId("<|begin_of_text|>")!.Value, tokenizer.TokenToId("<|end_of_text|>")!.Value];
        int plainAdded = tokenizer.TokenToId("<|im_start|>")!.Value;
        var bytes = tokenizer.TokenBytes();
        var vocabulary = new JsonVocabulary(bytes, bytes.Length);
        var grammar = JsonSchemaGrammar.Compile(JsonDocument.Parse(Schema).RootElement);
        var random = new Random(3);
        var logits = new float[bytes.Length];
        int complete = 0, addedSeen = 0;
        for (int walk = 0; walk < 20; walk++)
        {
            var json = new JsonConstraint<JsonSchemaAutomaton>(vocabulary, grammar.Start());
            var ids = new List<int>();
            for (int step = 0; step < 120 && !json.Complete; step++)
            {
                for (int i = 0; i < logits.Length; i++) logits[i] = (float)random.NextDouble();
                logits[plainAdded] = logits[special[0]] = logits[special[1]] = 2f; // the model wants them most
                if (!json.Mask(logits)) break;
                foreach (int id in special) Assert.True(float.IsNegativeInfinity(logits[id]), $"walk {walk} step {step}: special token {id} let through");
                if (!float.IsNegativeInfinity(logits[plainAdded])) addedSeen++;
                int chosen = Array.IndexOf(logits, logits.Max());
                if (random.Next(4) == 0) // now and then a structural token, so that walks end
                {
                    var closing = Enumerable.Range(0, logits.Length).Where(id => !float.IsNegativeInfinity(logits[id]) && bytes[id].AsSpan().IndexOfAny("\",}"u8) >= 0).ToList();
                    if (closing.Count > 0) chosen = closing[random.Next(closing.Count)];
                }
                ids.Add(chosen);
                json.Accept(chosen);
            }
            string read = System.Text.Encoding.UTF8.GetString([.. ids.SelectMany(id => bytes[id])]);
            Assert.Equal(read, tokenizer.Decode(ids, skipSpecialTokens: true));
            if (!json.Complete) continue;
            complete++;
            Assert.Null(SchemaValidator.Problem(Schema, read));
        }
        Assert.True(complete >= 5, $"{complete} of 20 walks completed");
        Assert.True(addedSeen > 0, "the added token that is not special was never let through inside a string");
    }
}
