using System.Text.Json;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// /v1/embeddings gives SentenceEncoder.Encode's embeddings bit for bit, whatever the request's inputs were batched
/// with: the batcher's passes run with Encode's tape settings (packed weights, whose GEMM sums each row in one order
/// whatever the rows around it). Before, its passes of at most 16 token rows (a lone short input) took the few-row GEMM
/// and differed from Encode in the 7th–8th significant digit.
/// </summary>
public sealed class LibraryBitsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task EveryInputAloneOrTogetherGetsEncodesBits()
    {
        var texts = Texts[..8];
        var lengths = fixture.Reference.Tokenize(texts).Select(e => e.Length).ToArray();
        Assert.Contains(lengths, n => n <= 16); // a pass of at most 16 rows: the case that differed
        Assert.Contains(lengths, n => n > 16);
        var together = Embeddings((await PostAsync(fixture.Client, Body(texts))).Body);
        var expected = fixture.Reference.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var alone = Embeddings((await PostAsync(fixture.Client, Body([texts[i]]))).Body)[0];
            AssertBitEqual(fixture.Reference.Encode(texts[i]), alone, $"input {i} ({lengths[i]} tokens) alone");
            AssertBitEqual(expected[i], together[i], $"input {i} ({lengths[i]} tokens) among {texts.Length}");
        }
    }

    private static string Body(string[] texts) => JsonSerializer.Serialize(new { input = texts, encoding_format = "base64" });

    private static void AssertBitEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++)
        {
            if (BitConverter.SingleToInt32Bits(expected[j]) != BitConverter.SingleToInt32Bits(actual[j]))
                Assert.Fail($"{what}: dimension {j} is {actual[j]:R}, Encode gives {expected[j]:R}");
        }
    }
}
