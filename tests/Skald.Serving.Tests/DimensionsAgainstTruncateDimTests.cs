using System.Numerics.Tensors;
using System.Text.Json;
using Skald.Models;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// OpenAI's <c>dimensions</c> against the library's <see cref="EncodeOptions.TruncateDim"/>: sentence-transformers'
/// <c>truncate_dim</c> keeps the first values as they are (normalised only with <c>normalize_embeddings</c>), while
/// OpenAI's answers unit vectors. The server's vector is the library's truncated vector L2-normalised, bit for bit
/// (the same single-precision norm and division run in both), which is <c>TruncateDim</c> with <c>Normalize</c> on.
/// </summary>
public sealed class DimensionsAgainstTruncateDimTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData(8)]
    [InlineData(31)]
    public async Task DimensionsIsTheLibrarysTruncatedVectorNormalised(int width)
    {
        var texts = Texts[..4];
        var (status, body) = await PostAsync(fixture.Client, JsonSerializer.Serialize(new { input = texts, dimensions = width, encoding_format = "base64" }));
        Assert.Equal(200, status);
        var served = Embeddings(body);
        var cut = fixture.Reference.Encode(texts, new EncodeOptions { TruncateDim = width });
        var cutNormalised = fixture.Reference.Encode(texts, new EncodeOptions { TruncateDim = width, Normalize = true });
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(width, served[i].Length);
            double length = Math.Sqrt(cut[i].Sum(v => (double)v * v));
            Assert.True(Math.Abs(length - 1) > 1e-3, $"text {i}: the library's cut vector is already of unit length ({length}); the case shows nothing");
            var unit = cut[i].ToArray();
            TensorPrimitives.Divide(unit, TensorPrimitives.Norm(unit), unit); // the library's vector, normalised here
            for (int j = 0; j < width; j++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(unit[j]), BitConverter.SingleToInt32Bits(served[i][j]));
                Assert.Equal(BitConverter.SingleToInt32Bits(cutNormalised[i][j]), BitConverter.SingleToInt32Bits(served[i][j]));
                Assert.Equal(cut[i][j] / length, served[i][j], 1e-6); // and in double, independently of both
            }
        }
    }
}
