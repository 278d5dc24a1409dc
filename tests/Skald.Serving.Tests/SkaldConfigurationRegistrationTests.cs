using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Skald.Models;

namespace Skald.Serving.Tests;

/// <summary>
/// <see cref="SkaldServiceCollectionExtensions.AddSkaldEmbeddingGenerator"/> in a real container over in-memory
/// configuration, as appsettings.json's "Skald" section reaches it: the options reach the embeddings, a bad key is one
/// line naming it, and the container disposes the model it loaded.
/// </summary>
public sealed class SkaldConfigurationRegistrationTests
{
    private static readonly string Folder = TestPaths.FixtureModel("bert-cased-mean");
    private static readonly string[] Texts = ["Hei verden", "Fjorden ligg stille i kveld.", "Ferja går kvar time frå kaia."];

    private static IConfigurationSection Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Skald:" + v.Key, v.Value)))
            .Build().GetSection("Skald");

    [Fact]
    public async Task TheGeneratorEmbedsAsEncodeWithTheConfiguredOptions()
    {
        using var reference = SentenceEncoder.Load(Folder);
        int dim = reference.Dimension / 2;
        var expected = reference.Encode(Texts, new EncodeOptions { Normalize = true, TruncateDim = dim, BatchSize = 2 });
        var services = new ServiceCollection();
        services.AddSkaldEmbeddingGenerator(Section(("Model", Folder), ("Normalize", "true"), ("TruncateDim", dim.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("BatchSize", "2"), ("ModelId", "nb-test")));
        using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.Same(generator, provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>()); // one model, loaded once
        var got = await generator.GenerateAsync(Texts);
        Assert.Equal(Texts.Length, got.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal("nb-test", got[i].ModelId);
            Assert.Equal(expected[i], got[i].Vector.ToArray());
        }
        // the defaults differ from Encode's own, so the options did reach the generator
        Assert.NotEqual(reference.Encode(Texts[0]).Length, got[0].Vector.Length);
    }

    [Theory]
    [InlineData("Skald:Model", new[] { "Normalize", "true" })]
    [InlineData("Skald:Model", new[] { "Model", " " })]
    [InlineData("Skald:BatchSize", new[] { "Model", "m", "BatchSize", "0" })]
    [InlineData("Skald:BatchSize", new[] { "Model", "m", "BatchSize", "many" })]
    [InlineData("Skald:TruncateDim", new[] { "Model", "m", "TruncateDim", "-3" })]
    [InlineData("Skald:MaxLength", new[] { "Model", "m", "MaxLength", "1.5" })]
    [InlineData("Skald:Normalize", new[] { "Model", "m", "Normalize", "yes" })]
    [InlineData("Skald:Precision", new[] { "Model", "m", "Precision", "int4" })]
    [InlineData("Skald:Precision", new[] { "Model", "m", "Precision", "7" })]
    public void ABadKeyIsOneLineNamingIt(string key, string[] pairs)
    {
        var section = Section(pairs.Chunk(2).Select(p => (p[0], p[1])).ToArray());
        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddSkaldEmbeddingGenerator(section));
        Assert.StartsWith(key + " ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATruncateDimPastTheModelIsRefusedNamingTheKeyWhenItLoads()
    {
        var services = new ServiceCollection();
        services.AddSkaldEmbeddingGenerator(Section(("Model", Folder), ("TruncateDim", "100000")));
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.StartsWith("Skald:TruncateDim ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AModelThatDoesNotLoadIsRefusedNamingTheKey()
    {
        var services = new ServiceCollection();
        services.AddSkaldEmbeddingGenerator(Section(("Model", Path.Combine(TestPaths.NewTempDir(), "no-such-model"))));
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.StartsWith("Skald:Model ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheContainerDisposesTheModelItLoaded()
    {
        var services = new ServiceCollection();
        services.AddSkaldEmbeddingGenerator(Section(("Model", Folder), ("Precision", "bfloat16")));
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
}
