using System.Text;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// A tool-call format's special tags are kept in the text of the requests that ask for it, row by row: two rows of
/// one batch (the random decoder-qwen2 copy whose tokenizer marks <c>&lt;tool_call&gt;</c> and <c>&lt;/tool_call&gt;</c>
/// special), one decoding with its options' <see cref="GenerationOptions.Decode"/> keeping them and one without,
/// each get the text of their own ids as the tokenizer decodes it their way (streamed alike), so a request
/// without tools never sees the tags another request keeps; a stop string equal to a tag ends only a row that keeps it.
/// </summary>
public sealed class KeptTagsPerRequestTests
{
    private static readonly HashSet<int> TagIds = [283, 284]; // <tool_call>, </tool_call> in the fixture

    [Fact]
    public void OnlyTheRowThatKeepsTheTagsHasThemInItsText()
    {
        var generator = TextGenerator.Load(SpecialToolTagsChatClientTests.Folder);
        var tokenizer = generator.Tokenizer;
        int[] prompt = tokenizer.Encode("Hej", addSpecialTokens: false).Ids;
        for (ulong seed = 1; seed <= 30; seed++)
        {
            var plain = new GenerationOptions { MaxNewTokens = 120, Temperature = 1f, Seed = seed };
            var keeping = plain with { Decode = ids => tokenizer.DecodeKeeping(ids, TagIds) };
            string[] stops = ["<tool_call>", "</tool_call>"];
            var streamed = new[] { new StringBuilder(), new StringBuilder(), new StringBuilder(), new StringBuilder() };
            var results = generator.GenerateTogether([prompt, prompt, prompt, prompt],
                [keeping, plain, keeping with { StopStrings = stops }, plain with { StopStrings = stops }], onText: (row, delta) => streamed[row].Append(delta));
            if (!results[0].Ids.Any(TagIds.Contains) || !results[1].Ids.Any(TagIds.Contains)) continue; // no tag sampled: another seed
            // expected texts from the tokenizer alone: the tags' text where their ids are, or nothing
            Assert.Equal(Expected(tokenizer, results[0].Ids, keep: true), results[0].Text);
            Assert.Equal(Expected(tokenizer, results[1].Ids, keep: false), results[1].Text);
            Assert.Contains("tool_call>", results[0].Text, StringComparison.Ordinal);
            Assert.DoesNotContain("tool_call>", results[1].Text, StringComparison.Ordinal);
            // the streams hold back a tail of incomplete UTF-8, which the final text has as U+FFFD
            Assert.StartsWith(streamed[0].ToString(), results[0].Text, StringComparison.Ordinal);
            Assert.StartsWith(streamed[1].ToString(), results[1].Text, StringComparison.Ordinal);
            Assert.Equal(results[0].Text.Count(c => c == '<'), streamed[0].ToString().Count(c => c == '<'));
            Assert.DoesNotContain("tool_call>", streamed[1].ToString(), StringComparison.Ordinal);
            // a stop string equal to a tag ends the row that keeps it, before the first tag, and not the other
            int cut = stops.Select(t => results[0].Text.IndexOf(t, StringComparison.Ordinal)).Where(i => i >= 0).Min();
            Assert.Equal(FinishReason.Stop, results[2].FinishReason);
            Assert.Equal(results[0].Text[..cut], results[2].Text);
            Assert.Equal(results[1].FinishReason, results[3].FinishReason);
            Assert.Equal(results[1].Text, results[3].Text);
            return;
        }
        Assert.Fail("no seed in 30 sampled a tag in both rows");
    }

    // The ids' text from the tokenizer alone: with every special token but the tags dropped first, and the tags kept
    // as special tokens are when nothing is skipped, or dropped too.
    private static string Expected(Skald.Tokenizers.Tokenizer tokenizer, IReadOnlyList<int> ids, bool keep)
    {
        bool Special(int id) => tokenizer.Decode([id], skipSpecialTokens: true).Length == 0 && tokenizer.Decode([id], skipSpecialTokens: false).Length > 0;
        var kept = ids.Where(id => !Special(id) || keep && TagIds.Contains(id)).ToList();
        return tokenizer.Decode(kept, skipSpecialTokens: false);
    }
}
