using Skald.Models.Quantization;

namespace Skald.Models.Tests.Quantization;

/// <summary>
/// An int8 card's tag joins the card's own tags list whatever YAML form that list takes: a list in brackets, a single
/// tag, or items indented under the key. A second <c>tags:</c> key (a duplicate key, which the hub refuses as invalid
/// metadata) or an item at another indent (read as part of the tag before it) would break the front matter.
/// </summary>
public sealed class Int8CardTagsTests
{
    private static string FrontMatter(string card)
    {
        Assert.StartsWith("---\n", card);
        return card[4..card.IndexOf("\n---\n", 3, StringComparison.Ordinal)];
    }

    [Theory]
    [InlineData("tags: [sentence-transformers, skald]", "tags: [skald-int8, sentence-transformers, skald]")]
    [InlineData("tags: []", "tags: [skald-int8]")]
    [InlineData("tags: sentence-transformers", "tags: [skald-int8, sentence-transformers]")]
    [InlineData("tags:\n  - sentence-transformers\n  - skald", "tags:\n  - skald-int8\n  - sentence-transformers\n  - skald")]
    [InlineData("tags:\n- sentence-transformers", "tags:\n- skald-int8\n- sentence-transformers")]
    [InlineData("tags:", "tags:\n- skald-int8")]
    [InlineData("tags: # ours\n- skald", "tags: # ours\n- skald-int8\n- skald")]
    public void TheTagJoinsTheCardsOwnList(string tags, string expected)
    {
        string card = Int8Card.Marked($"---\nlibrary_name: sentence-transformers\n{tags}\npipeline_tag: sentence-similarity\n---\n\n# A model\n");
        Assert.Equal($"library_name: skald\n{expected}\npipeline_tag: sentence-similarity", FrontMatter(card));
    }
}
