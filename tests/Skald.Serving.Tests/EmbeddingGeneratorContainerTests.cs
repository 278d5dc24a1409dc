using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Skald.Models;

namespace Skald.Serving.Tests;

/// <summary>
/// An ASP.NET Core app's container and Skald's generators, registered by factory as Microsoft.Extensions.AI's
/// <c>AddEmbeddingGenerator</c> registers them: at shutdown the container disposes the generator it made, which takes an
/// encoder it loaded with it (<see cref="SkaldEmbeddingGenerator.Load"/>) and leaves one the app passed in to the app.
/// </summary>
public sealed class EmbeddingGeneratorContainerTests
{
    private static readonly string Folder = TestPaths.FixtureModel("bert-cased-mean");

    /// <summary>
    /// Registers as Microsoft.Extensions.AI's <c>AddEmbeddingGenerator(factory)</c> does (a singleton the container makes,
    /// and so disposes), with its signature, so that the README's call infers its types here as it does there.
    /// </summary>
    private static IServiceCollection AddEmbeddingGenerator<TInput, TEmbedding>(IServiceCollection services,
        Func<IServiceProvider, IEmbeddingGenerator<TInput, TEmbedding>> factory)
        where TEmbedding : Embedding => services.AddSingleton(factory);

    [Fact]
    public async Task TheContainerDisposesTheGeneratorAndTheEncoderItLoaded()
    {
        var services = new ServiceCollection();
        AddEmbeddingGenerator(services, _ => SkaldEmbeddingGenerator.Load(Folder)); // as the README writes it
        SentenceEncoder encoder;
        using (var provider = services.BuildServiceProvider())
        {
            var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
            encoder = generator.GetService<SentenceEncoder>()!;
            Assert.Equal(encoder.Dimension, (await generator.GenerateVectorAsync("Hei verden")).Length);
            Assert.False(encoder.IsDisposed);
        }
        Assert.True(encoder.IsDisposed);
    }

    [Fact]
    public async Task TheContainerLeavesAnEncoderTheAppPassedIn()
    {
        using var encoder = SentenceEncoder.Load(Folder);
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(_ => new SkaldEmbeddingGenerator(encoder));
        IEmbeddingGenerator<string, Embedding<float>> generator;
        using (var provider = services.BuildServiceProvider())
        {
            generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
            Assert.Single(await generator.GenerateAsync(["Hei verden"]));
        }
        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(["Hei verden"])); // the container disposed it
        Assert.False(encoder.IsDisposed);
        Assert.Equal(encoder.Dimension, encoder.Encode("Hei verden").Length);
    }
}
