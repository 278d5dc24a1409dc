using Microsoft.Extensions.AI;

namespace Skald.Models.Tests;

/// <summary>
/// Who disposes the encoder under an embedding generator: the generator when it loaded it (<c>Load</c>,
/// <see cref="EncoderEmbeddingGenerator{TEmbedding}.OwnsEncoder"/>), the caller when the caller passed it in.
/// </summary>
public sealed class EmbeddingGeneratorDisposalTests
{
    private static readonly string Folder = TestPaths.FixtureModel("bert-cased-mean");

    [Fact]
    public async Task DisposingAGeneratorLeavesAnEncoderPassedInUsableAndRefusesLaterCalls()
    {
        using var encoder = SentenceEncoder.Load(Folder);
        var generator = new SkaldEmbeddingGenerator(encoder);
        Assert.False(generator.OwnsEncoder);
        Assert.Single(await generator.GenerateAsync(["Hei verden"]));
        generator.Dispose();
        generator.Dispose();
        Assert.False(encoder.IsDisposed);
        Assert.Equal(encoder.Dimension, encoder.Encode("Hei verden").Length);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(["Hei verden"]));
    }

    [Fact]
    public async Task AGeneratorThatLoadedItsEncoderDisposesIt()
    {
        var generator = SkaldEmbeddingGenerator.Load(Folder, modelId: "tiny");
        Assert.True(generator.OwnsEncoder);
        var encoder = generator.GetService<SentenceEncoder>()!;
        var generated = await generator.GenerateAsync(["Hei verden"]);
        Assert.Equal(encoder.Encode("Hei verden"), generated[0].Vector.ToArray());
        Assert.Equal("tiny", generated[0].ModelId);
        generator.Dispose();
        Assert.True(encoder.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => encoder.Encode("Hei verden"));
    }

    [Fact]
    public void TheBinaryGeneratorThatLoadedItsEncoderDisposesIt()
    {
        var generator = SkaldBinaryEmbeddingGenerator.Load(Folder);
        var encoder = generator.GetService<SentenceEncoder>()!;
        Assert.False(encoder.IsDisposed);
        generator.Dispose();
        Assert.True(encoder.IsDisposed);
    }
}
