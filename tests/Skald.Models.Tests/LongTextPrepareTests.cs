using Skald.Tokenizers;

namespace Skald.Models.Tests;

/// <summary>
/// A multi-megabyte text is stripped and lower-cased (sentence-transformers' Transformer.tokenize) only as far as its
/// kept tokens reach: its tokens are those of the whole prepared text, and preparing it copies a start, not the text.
/// </summary>
public sealed class LongTextPrepareTests
{
    [Fact]
    public void ALongTextIsPreparedFromItsStartWithTheWholeTextsTokens()
    {
        string folder = TestPaths.CopyOfFixtureModel("bert-uncased-max");
        File.WriteAllText(Path.Combine(folder, "sentence_bert_config.json"), """{"max_seq_length": 32, "do_lower_case": true}""");
        using var encoder = SentenceEncoder.Load(folder);
        string huge = " \t" + string.Concat(Enumerable.Repeat("Fjell OG Fjord, ", 300_000)) + " \n";
        foreach (var (prompt, options) in new[] { ("", new EncodeOptions()), ("Søk: ", new EncodeOptions { Prompt = "Søk: " }), ("  ", new EncodeOptions { Prompt = "  " }) })
        {
            // What the model saw before: the whole text joined, stripped and lower-cased, then truncated.
            string whole = (prompt + huge).Trim().ToLowerInvariant();
            var want = encoder.Tokenizer.Encode(whole, true, 32);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var got = Assert.Single(encoder.Tokenize([huge], options));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(want.Ids, got.Ids);
            Assert.Equal(want.Offsets, got.Offsets);
            Assert.True(got.Truncated, "the text was cut");
            // One copy of the text is 2 bytes a character; the start is 64k characters.
            Assert.True(allocated < huge.Length, $"{allocated} bytes allocated to tokenize a text of {huge.Length} characters");
        }
    }

    [Fact]
    public void PrepareStartIsTheStartOfPrepareText()
    {
        string folder = TestPaths.CopyOfFixtureModel("bert-uncased-max");
        File.WriteAllText(Path.Combine(folder, "sentence_bert_config.json"), """{"max_seq_length": 32, "do_lower_case": true}""");
        var model = Skald.Models.Modules.ModelFolder.Read(folder);
        string text = "\u00A0 ÆBLE Og Pære " + new string('X', 100);
        foreach (string prompt in new[] { "", " ", " Query: " })
        {
            string start = model.PrepareStart(prompt, text, 20)!;
            Assert.StartsWith(start, model.PrepareText(prompt + text), StringComparison.Ordinal);
            Assert.True(start.Length >= 20, $"\"{start}\"");
        }
        Assert.Null(model.PrepareStart("", text, text.Length));
        Assert.Null(model.PrepareStart("", new string(' ', 200), 20));
    }
}
