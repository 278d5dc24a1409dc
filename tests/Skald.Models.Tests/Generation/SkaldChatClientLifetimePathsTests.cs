using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Every way a request to a <see cref="SkaldChatClient"/> that owns its generator can end lets the generator go when
/// the client is disposed: refused while prepared (whole and streamed), refused by a full queue or a cancelled token,
/// a stream its reader leaves early, and the tests' scripted answers (a request still counted would keep the
/// generator, and its files, open forever).
/// </summary>
public sealed class SkaldChatClientLifetimePathsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static ChatOptions Greedy(int max) => new() { Temperature = 0, MaxOutputTokens = max };

    private static async Task Drain(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        await foreach (var _ in updates)
        {
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RequestsRefusedBeforeDecodingHoldNothing(bool streaming)
    {
        var client = SkaldChatClient.Load(TestPaths.FixtureModel("decoder-llama3"));
        Task Ask(ChatOptions options, CancellationToken cancel = default) => streaming
            ? Drain(client.CompleteStreamingAsync("Hei", options, cancel))
            : client.CompleteAsync("Hei", options, cancel);

        await Assert.ThrowsAsync<PromptRefusedException>(() => Ask(Greedy(1_000_000))); // prepare refuses: max tokens beyond the context
        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Ask(Greedy(4), cancelled.Token)); // refused as queued
        }
        client.Dispose();
        Assert.True(client.Generator.IsDisposed, "a refused request still held the generator");
        var other = TextGenerator.Load(TestPaths.FixtureModel("decoder-llama3"));
        var busy = new SkaldChatClient(other) { MaxQueue = 0, OwnsGenerator = true }; // a queue that is always full
        await Assert.ThrowsAsync<GenerationBusyException>(() => streaming
            ? Drain(busy.CompleteStreamingAsync("Hei", Greedy(4)))
            : busy.CompleteAsync("Hei", Greedy(4)));
        busy.Dispose();
        Assert.True(other.IsDisposed, "a request the full queue refused still held the generator");
    }

    [Fact]
    public async Task AStreamLeftEarlyLetsTheGeneratorGoOnceItsGenerationStops()
    {
        var client = SkaldChatClient.Load(TestPaths.FixtureModel("decoder-llama3"));
        int updates = 0;
        await foreach (var _ in client.CompleteStreamingAsync("Hei", Greedy(100)))
        {
            if (++updates == 1) break; // the reader goes: the generation is cancelled
        }
        client.Dispose();
        Assert.True(SpinWait.SpinUntil(() => client.Generator.IsDisposed, Patience), "the generator was not disposed after the stream was left");
    }

    [Fact]
    public async Task ScriptedAnswersAreCountedAndReleasedLikeGeneratedOnes()
    {
        string folder = ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2"));
        var client = new SkaldChatClient(TextGenerator.Load(folder))
        {
            OwnsGenerator = true,
            Scripted = p => p.Contains("fel", StringComparison.Ordinal) ? throw new InvalidOperationException("script failed") : "Hej!",
        };
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "fel")]));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Drain(client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "fel")])));
        Assert.Equal("Hej!", (await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hej")])).Text);
        await Drain(client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hej")]));
        client.Dispose();
        Assert.True(client.Generator.IsDisposed);
    }
}
