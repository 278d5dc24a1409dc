using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Skald.Models;
using Skald.Tensors;
using Skald.Tensors.Quantization;

namespace Skald.Serving.Tests;

/// <summary>
/// <see cref="SkaldServiceCollectionExtensions.AddSkaldEmbeddingGenerator"/>'s load settings, the ones <c>skald serve</c>
/// takes for its model: <c>Adapters</c> (a list or a comma-separated string), <c>Precision</c> in <c>--weights</c>' names,
/// <c>Quantize</c>, <c>Threads</c> and <c>Instruction</c> reach the loaded model, and an unknown key is one line naming it.
/// </summary>
[Collection(Skald.Tests.ProcessSettingsCollection.Name)]
public sealed class SkaldConfigurationLoadKeysTests
{
    private static readonly string[] Texts = ["Hei verden", "Fjorden ligg stille i kveld."];

    private static IConfigurationSection Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Skald:" + v.Key, v.Value)))
            .Build().GetSection("Skald");

    [Fact]
    public async Task AdaptersQuantizeAndThreadsReachTheModel()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string adapter = BertLoraFolder.Write(Path.Combine(TestPaths.NewTempDir(), "lora"), model);
        bool int8 = Int8Gemm.Best is not null;
        using var reference = SentenceEncoder.Load(model, [adapter]);
        if (int8) reference.KeepInt8Only();
        var expected = reference.Encode(Texts);
        using var plain = SentenceEncoder.Load(model);
        Assert.NotEqual(plain.Encode(Texts)[0], expected[0]); // the adapter changes the embeddings

        int saved = Parallelism.MaxThreads;
        var services = new ServiceCollection();
        services.AddSkaldEmbeddingGenerator(Section(("Model", model), ("Adapters:0", adapter), ("Quantize", "int8"),
            ("Threads", (saved + 1).ToString(CultureInfo.InvariantCulture))));
        try
        {
            using var provider = services.BuildServiceProvider();
            var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
            var encoder = generator.GetService<SentenceEncoder>()!;
            Assert.Equal(new[] { adapter }, encoder.Adapters);
            Assert.Equal(int8, encoder.IsInt8Only);
            Assert.Equal(saved + 1, Parallelism.MaxThreads);
            var got = await generator.GenerateAsync(Texts);
            for (int i = 0; i < Texts.Length; i++) Assert.Equal(expected[i], got[i].Vector.ToArray());
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    [Fact]
    public async Task AdaptersAsACommaListAndWeightsNamesLoadAsTheCliDoes()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string adapter = BertLoraFolder.Write(Path.Combine(TestPaths.NewTempDir(), "lora"), model);
        using var reference = SentenceEncoder.Load(model, [adapter], WeightPrecision.BFloat16);
        var expected = reference.Encode(Texts);
        var services = new ServiceCollection();
        services.AddSkaldEmbeddingGenerator(Section(("Model", model), ("Adapters", " " + adapter + " ,"), ("Precision", "bf16")));
        using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.Equal(new[] { adapter }, generator.GetService<SentenceEncoder>()!.Adapters);
        var got = await generator.GenerateAsync(Texts);
        for (int i = 0; i < Texts.Length; i++) Assert.Equal(expected[i], got[i].Vector.ToArray());
    }

    // Without a Quantize key the model is readied as skald serve readies it without --quantize (one load path):
    // packed-only float32, the same embeddings as a plain load bit for bit.
    [Fact]
    public async Task WithoutQuantizeTheModelIsPackedOnlyAsSkaldServesIt()
    {
        string model = TestPaths.FixtureModel("bert-cased-mean");
        using var plain = SentenceEncoder.Load(model);
        var expected = plain.Encode(Texts);
        var services = new ServiceCollection();
        services.AddSkaldEmbeddingGenerator(Section(("Model", model)));
        using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var encoder = generator.GetService<SentenceEncoder>()!;
        Assert.True(encoder.IsPackedOnly);
        Assert.False(encoder.IsInt8Only);
        var got = await generator.GenerateAsync(Texts);
        for (int i = 0; i < Texts.Length; i++) Assert.Equal(expected[i], got[i].Vector.ToArray());
    }

    [Theory]
    [InlineData("Skald:Adaptors", new[] { "Model", "m", "Adaptors", "lora" })]
    [InlineData("Skald:Weights", new[] { "Model", "m", "Weights", "bf16" })]
    [InlineData("Skald:Quantize", new[] { "Model", "m", "Quantize", "int4" })]
    [InlineData("Skald:Threads", new[] { "Model", "m", "Threads", "0" })]
    [InlineData("Skald:Threads", new[] { "Model", "m", "Threads", "+2" })]
    [InlineData("Skald:Precision", new[] { "Model", "m", "Precision", "f64" })]
    [InlineData("Skald:Adapters", new[] { "Model", "m", "Adapters", "," })]
    [InlineData("Skald:Adapters:x", new[] { "Model", "m", "Adapters:x", "lora" })]
    public void AnUnknownKeyOrABadLoadValueIsOneLineNamingIt(string key, string[] pairs)
    {
        var section = Section(pairs.Chunk(2).Select(p => (p[0], p[1])).ToArray());
        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddSkaldEmbeddingGenerator(section));
        Assert.StartsWith(key + " ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInstructionForAModelThatIsNotLlm2VecIsRefusedNamingTheKey()
    {
        var services = new ServiceCollection();
        services.AddSkaldEmbeddingGenerator(Section(("Model", TestPaths.FixtureModel("bert-cased-mean")), ("Instruction", "Retrieve passages")));
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.StartsWith("Skald:Instruction ", e.Message, StringComparison.Ordinal);
    }

    // A prompt name the model does not define is refused when the model loads, naming the key and the model's prompts,
    // not at the first GenerateAsync (bert-cased-mean defines query and passage).
    [Fact]
    public void APromptNameTheModelLacksIsRefusedAtLoadNamingTheKey()
    {
        var services = new ServiceCollection();
        services.AddSkaldEmbeddingGenerator(Section(("Model", TestPaths.FixtureModel("bert-cased-mean")), ("PromptName", "dokument")));
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.StartsWith("Skald:PromptName \"dokument\" is not a prompt of ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("(it has query, passage)", e.Message, StringComparison.Ordinal);
    }

    // README's registration paragraph names every key the reader takes (the reader refuses any other).
    [Fact]
    public void ReadmesRegistrationParagraphListsEveryKey()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        int start = readme.IndexOf("Or from configuration: `AddSkaldEmbeddingGenerator(section)`", StringComparison.Ordinal);
        Assert.True(start >= 0, "README no longer has the registration paragraph");
        int end = readme.IndexOf("```json", start, StringComparison.Ordinal);
        string paragraph = readme[start..end];
        Assert.All(EmbeddingGeneratorSettings.Keys, key => Assert.Contains($"`{key}`", paragraph, StringComparison.Ordinal));
    }
}
