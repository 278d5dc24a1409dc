using Skald.Models.Quantization;

namespace Skald.Models.Tests.Quantization;

/// <summary>
/// A card's front matter is found where the hub's metadata reader finds it (huggingface_hub's REGEX_YAML_BLOCK: blank
/// lines, then <c>---</c>, the YAML, and a closing <c>---</c>), and one opened but never closed is one line naming the
/// card's first line: marked as before, its metadata would sit as text under a front matter of Skald's, taken for
/// none, and the user's license, base model and tags would silently be no metadata any more.
/// </summary>
public sealed class Int8CardFrontMatterTests
{
    [Theory]
    [InlineData("---\nlibrary_name: sentence-transformers\nlicense: mit\n\n# A model\n\nText.\n")]
    [InlineData("---\n")]
    [InlineData("\n  \n---\r\nlicense: mit\r\n# A model\r\n")]
    public void AFrontMatterNeverClosedIsOneLineNamingTheCardsFirstLine(string card)
    {
        var e = Assert.Throws<ModelFormatException>(() => Int8Card.Marked(card));
        Assert.StartsWith("README.md:", e.Message);
        Assert.Contains("the YAML front matter opened here is never closed", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ItsLineIsTheFirstLineThatIsNotBlank()
    {
        var e = Assert.Throws<ModelFormatException>(() => Int8Card.Marked("\n\n---\nlicense: mit\n"));
        Assert.StartsWith("README.md:3: ", e.Message);
    }

    [Fact]
    public void AFrontMatterAfterBlankLinesIsTheCardsOwn()
    {
        string card = Int8Card.Marked("\n\n---\nlibrary_name: sentence-transformers\nlicense: mit\n---\n\n# A model\n");
        Assert.StartsWith("---\nlibrary_name: skald\nlicense: mit\ntags:\n- skald-int8\n---\n\n", card);
        Assert.EndsWith("\n\n# A model\n", card);
        Assert.Single(card.Split("\n---\n").Skip(1)); // one front matter, the card's own
    }

    [Fact]
    public void ACardWithoutFrontMatterKeepsItsText()
    {
        string card = Int8Card.Marked("# A model\n\n---\n\nA rule above, not front matter.\n");
        Assert.StartsWith("---\nlibrary_name: skald\ntags:\n- skald-int8\n---\n\n", card);
        Assert.EndsWith("# A model\n\n---\n\nA rule above, not front matter.\n", card);
    }
}
