using System.Text.Json.Nodes;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// The word letters of a <see cref="CutTable"/> (<see cref="CutTable.WordChars"/>), found trying one letter of each
/// class of letters alike, are the ones found trying every letter pair: on every WordPiece fixture with each appended
/// normalizer, and on pipelines whose literals (a Replace of two Greek letters, a split on two Nordic letters, a
/// Cyrillic delimiter) single out letters their class would otherwise keep.
/// </summary>
public sealed class CutTableLetterClassTests
{
    [Fact]
    public void ClassesOfLettersKeepThePairwiseLettersOnEveryWordPieceFixture()
    {
        var failures = new List<string>();
        int letters = 0;
        foreach (var name in AdversarialTexts.Fixtures().Where(n => n.StartsWith("wordpiece", StringComparison.Ordinal)))
        {
            foreach (var (variant, tok) in RandomCutDifferentialTests.Variants(File.ReadAllText(FixturePaths.TokenizerJson(name))))
            {
                string? want = tok.PairwiseWordChars(), got = tok.Cuts.WordChars;
                if (want != got) failures.Add($"{name} + {variant}: {want} vs {got}");
                if (got is { Length: > 62 }) letters++;
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(letters >= 12, $"only {letters} WordPiece pipelines keep letters beyond ASCII");
    }

    /// <summary>
    /// A letter of <paramref name="dropped"/> in a literal is not kept whole beside every letter (λ or μ may be rewritten
    /// beside anything; ø then æ is split by the literal, ø dropped first being the later letter), so it leaves while
    /// the rest of its class stays; tried as its class it would stay.
    /// </summary>
    [Theory]
    [InlineData("normalizer", """{"type":"Replace","pattern":{"String":"λμ"},"content":"lm"}""", "λμΛΜ")]
    [InlineData("pre_tokenizer", """{"type":"Sequence","pretokenizers":[{"type":"BertPreTokenizer"},{"type":"Split","pattern":{"String":"øæ"},"behavior":"Removed","invert":false}]}""", "ø")]
    [InlineData("pre_tokenizer", """{"type":"Sequence","pretokenizers":[{"type":"BertPreTokenizer"},{"type":"CharDelimiterSplit","delimiter":"ж"}]}""", "ж")]
    public void LettersInALiteralAreTriedOnTheirOwn(string key, string component, string dropped)
    {
        var root = JsonNode.Parse(File.ReadAllText(FixturePaths.TokenizerJson("wordpiece-cased")))!.AsObject();
        var own = root[key]!;
        root[key] = key == "normalizer"
            ? new JsonObject { ["type"] = "Sequence", ["normalizers"] = new JsonArray(own.DeepClone(), JsonNode.Parse(component)) }
            : JsonNode.Parse(component);
        var tok = Tokenizer.FromJson(root.ToJsonString());
        string? want = tok.PairwiseWordChars(), got = tok.Cuts.WordChars;
        Assert.Equal(want, got);
        Assert.NotNull(got);
        Assert.Contains('é', got); // of the same class as the dropped letters but for the literal
        Assert.DoesNotContain(got, dropped.Contains);
    }
}
