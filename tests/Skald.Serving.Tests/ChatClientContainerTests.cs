using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Skald.Models.Generation;

namespace Skald.Serving.Tests;

/// <summary>
/// An app's container and <see cref="SkaldChatClient"/>, registered by factory as Microsoft.Extensions.AI's
/// <c>AddChatClient</c> registers one: at shutdown the container disposes the client it made, which takes a generator
/// it loaded (<see cref="SkaldChatClient.Load"/>) with it and leaves one the app passed in to the app.
/// </summary>
public sealed class ChatClientContainerTests
{
    private static readonly ChatOptions Greedy = new() { Temperature = 0, MaxOutputTokens = 4 };

    [Fact]
    public async Task TheContainerDisposesTheClientAndTheGeneratorItLoaded()
    {
        string folder = TestPaths.CopyOfFixtureModel("decoder-llama3");
        var services = new ServiceCollection();
        services.AddSingleton<IChatClient>(_ => SkaldChatClient.Load(folder));
        TextGenerator generator;
        using (var provider = services.BuildServiceProvider())
        {
            var client = (SkaldChatClient)provider.GetRequiredService<IChatClient>();
            generator = client.GetService<TextGenerator>()!;
            await client.CompleteAsync("Hei", Greedy);
            Assert.False(generator.IsDisposed);
        }
        Assert.True(generator.IsDisposed);
        if (OpenFiles.Visible) Assert.Equal(0, OpenFiles.Count(Path.Combine(folder, "model-00001-of-00002.safetensors")));
    }

    [Fact]
    public async Task TheContainerLeavesAGeneratorTheAppPassedIn()
    {
        using var generator = TextGenerator.Load(TestPaths.FixtureModel("decoder-llama3"));
        var services = new ServiceCollection();
        services.AddSingleton<IChatClient>(_ => new SkaldChatClient(generator));
        SkaldChatClient client;
        using (var provider = services.BuildServiceProvider())
        {
            client = (SkaldChatClient)provider.GetRequiredService<IChatClient>();
            await client.CompleteAsync("Hei", Greedy);
        }
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.CompleteAsync("Hei", Greedy)); // the container disposed it
        Assert.False(generator.IsDisposed);
        Assert.Single(generator.Generate([generator.Tokenize(GenerationInput.FromPrompt("Hei"))], new GenerationOptions { MaxNewTokens = 4 }));
    }
}
