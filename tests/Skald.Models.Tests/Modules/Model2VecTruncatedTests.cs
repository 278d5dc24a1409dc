using Skald.Models.Modules;
using Skald.Tests;
using Skald.Tokenizers;

namespace Skald.Models.Tests.Modules;

/// <summary>
/// Model2Vec's own cut (characters, then known tokens) marks the texts it shortened with <see cref="Encoding.Truncated"/>,
/// so the server refuses them as it does for other models. Expected: the known (non-unknown) tokens of the whole text,
/// counted here from the tokenizer without any limit.
/// </summary>
public sealed class Model2VecTruncatedTests
{
    [Fact]
    public void TextsWithMoreKnownTokensThanMaxLengthAreMarkedTruncated()
    {
        var tokenizer = Tokenizer.FromFile(Path.Combine(TestPaths.Fixtures, "tokenizers", "wordpiece-uncased", "tokenizer.json"));
        int? unk = tokenizer.UnknownTokenId;
        string[] texts =
        [
            "fjellet er høyt", "fjellet er høyt og fjorden er dyp", "fjellet er høyt   ",
            string.Join(' ', Enumerable.Repeat("fjellet er høyt og fjorden er dyp", 40)),
        ];
        foreach (int max in new[] { 2, 3, 4, 5, 8, 12 })
        {
            var got = Model2VecInputs.Tokenize(tokenizer, texts, max);
            for (int i = 0; i < texts.Length; i++)
            {
                int known = tokenizer.Encode(texts[i], false).Ids.Count(id => id != unk);
                Assert.True(got[i].Truncated == known > max, $"max {max}, \"{texts[i][..Math.Min(40, texts[i].Length)]}\" ({known} known tokens): Truncated {got[i].Truncated}");
                Assert.True(got[i].Length <= max);
            }
        }
    }
}
