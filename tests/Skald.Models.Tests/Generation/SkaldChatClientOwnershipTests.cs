using Microsoft.Extensions.AI;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Who disposes the <see cref="TextGenerator"/> under a <see cref="SkaldChatClient"/>: the client when it loaded it
/// (<see cref="SkaldChatClient.Load"/>) or was handed it (<see cref="SkaldChatClient.OwnsGenerator"/>), once the
/// requests it took are answered; the caller when the caller passed it in.
/// </summary>
public sealed class SkaldChatClientOwnershipTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static ChatOptions Greedy(int max) => new() { Temperature = 0, MaxOutputTokens = max };

    private static string Shard(string folder) => Path.Combine(folder, "model-00001-of-00002.safetensors"); // decoder-llama3's embedding table

    [Fact]
    public async Task AClientThatLoadedItsGeneratorDisposesIt()
    {
        string folder = TestPaths.CopyOfFixtureModel("decoder-llama3");
        var client = SkaldChatClient.Load(folder, modelId: "tiny");
        Assert.True(client.OwnsGenerator);
        Assert.Equal("tiny", client.ModelId);
        Assert.NotNull((await client.CompleteAsync("Hei", Greedy(4))).Text);
        client.Dispose();
        client.Dispose();
        Assert.True(client.Generator.IsDisposed);
        if (OpenFiles.Visible) Assert.Equal(0, OpenFiles.Count(Shard(folder)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.CompleteAsync("Hei", Greedy(4)));
    }

    [Fact]
    public async Task AClientGivenAGeneratorLeavesItToTheCaller()
    {
        using var generator = TextGenerator.Load(TestPaths.FixtureModel("decoder-llama3"));
        var client = new SkaldChatClient(generator);
        Assert.False(client.OwnsGenerator);
        await client.CompleteAsync("Hei", Greedy(4));
        client.Dispose();
        Assert.False(generator.IsDisposed);
        Assert.Single(generator.Generate([generator.Tokenize(GenerationInput.FromPrompt("Hei"))], new GenerationOptions { MaxNewTokens = 4 }));
    }

    [Fact]
    public async Task AnOwnedGeneratorIsDisposedOnlyAfterTheRequestsTakenBeforeAreAnswered()
    {
        string folder = TestPaths.CopyOfFixtureModel("decoder-llama3");
        var reference = TextGenerator.Load(folder);
        var expected = reference.Generate([reference.Tokenize(GenerationInput.FromPrompt("Hei"))], new GenerationOptions { MaxNewTokens = 8 })[0];
        reference.Dispose();

        using var offered = new SemaphoreSlim(0);
        using var go = new ManualResetEventSlim();
        var client = new SkaldChatClient(TextGenerator.Load(folder))
        {
            OwnsGenerator = true,
            OfferingRow = () => // the decoding thread, between two steps of the first request: held until go
            {
                if (go.IsSet) return;
                offered.Release();
                go.Wait(Patience);
            },
        };
        var answer = client.CompleteAsync("Hei", Greedy(8));
        Assert.True(await offered.WaitAsync(Patience), "the request never started decoding");
        client.Dispose();
        Assert.False(client.Generator.IsDisposed); // the request it took is still being answered
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.CompleteAsync("Hei", Greedy(8))); // a new one is refused
        go.Set();
        Assert.Equal(expected.Text, (await answer).Text);
        Assert.True(SpinWait.SpinUntil(() => client.Generator.IsDisposed, Patience), "the generator was not disposed after the answer");
        if (OpenFiles.Visible) Assert.True(SpinWait.SpinUntil(() => OpenFiles.Count(Shard(folder)) == 0, Patience), "its file stayed open");
    }
}
