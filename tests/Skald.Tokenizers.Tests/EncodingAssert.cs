namespace Skald.Tokenizers.Tests;

/// <summary>Two encodings of one text are the same in every field a model reads (fast paths against the general pipeline).</summary>
internal static class EncodingAssert
{
    /// <summary>Ids, tokens, offsets, type ids, masks and overflow count of <paramref name="got"/> equal <paramref name="want"/>'s.</summary>
    public static void Same(Encoding want, Encoding got, string text)
    {
        string where = $"text \"{text}\"";
        Assert.True(want.Ids.SequenceEqual(got.Ids), $"ids differ for {where}: [{string.Join(",", want.Ids)}] vs [{string.Join(",", got.Ids)}]");
        Assert.True(want.Tokens.SequenceEqual(got.Tokens), $"tokens differ for {where}");
        Assert.True(want.Offsets.SequenceEqual(got.Offsets), $"offsets differ for {where}: {string.Join(" ", want.Offsets)} vs {string.Join(" ", got.Offsets)}");
        Assert.True(want.TypeIds.SequenceEqual(got.TypeIds), $"type ids differ for {where}");
        Assert.True(want.SpecialTokensMask.SequenceEqual(got.SpecialTokensMask), $"special mask differs for {where}");
        Assert.True(want.AttentionMask.SequenceEqual(got.AttentionMask), $"attention mask differs for {where}");
        Assert.Equal(want.Overflowing.Count, got.Overflowing.Count);
    }
}
