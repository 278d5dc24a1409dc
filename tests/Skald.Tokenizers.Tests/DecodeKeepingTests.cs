namespace Skald.Tokenizers.Tests;

/// <summary>
/// <see cref="Tokenizer.DecodeKeeping"/> on decoder-qwen2's tokenizer, whose <c>&lt;|begin_of_text|&gt;</c> and
/// <c>&lt;|end_of_text|&gt;</c> are special: the special tokens named are kept where they are, every other one is
/// dropped as <see cref="Tokenizer.Decode(IReadOnlyList{int}, bool)"/> drops it, and ordinary tokens decode as they do.
/// </summary>
public sealed class DecodeKeepingTests
{
    [Fact]
    public void OnlyTheSpecialTokensNamedAreKept()
    {
        var tokenizer = Tokenizer.FromFile(Path.Combine(FixturePaths.RepoRoot, "fixtures", "models", "decoder-qwen2", "tokenizer.json"));
        int begin = tokenizer.TokenToId("<|begin_of_text|>")!.Value, end = tokenizer.TokenToId("<|end_of_text|>")!.Value;
        int[] hej = tokenizer.Encode("Hej", addSpecialTokens: false).Ids, da = tokenizer.Encode(" då", addSpecialTokens: false).Ids;
        int[] ids = [begin, .. hej, end, .. da, begin];

        Assert.Equal("Hej då", tokenizer.Decode(ids)); // both dropped
        Assert.Equal("Hej<|end_of_text|> då", tokenizer.DecodeKeeping(ids, new HashSet<int> { end }));
        Assert.Equal("<|begin_of_text|>Hej då<|begin_of_text|>", tokenizer.DecodeKeeping(ids, new HashSet<int> { begin }));
        Assert.Equal("Hej då", tokenizer.DecodeKeeping(ids, new HashSet<int> { hej[0] })); // an ordinary token: nothing changes
    }
}
