using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="SkaldChatClient"/>'s continuous batching: a request that arrives while a long one decodes joins its batch
/// and is answered first, with the answer it gets alone (greedy, sampled with a seed, streamed and cut at a stop
/// sequence, prefilled in chunks); one whose prompt is longer than the batch's filled columns, or whose max tokens exceed
/// the columns left, waits for the next batch, and one behind it that fits joins if it ends with the batch; a joined
/// request whose caller leaves stops while the batch goes on. The decoding thread is
/// held at its first offer of a free row (<see cref="SkaldChatClient.OfferingRow"/>) until the later requests are queued,
/// so that they arrive mid-batch whatever the machine's speed.
/// </summary>
public sealed class ChatJoiningTests
{
    private static readonly string Folder = ChatModelFolder.Create("decoder-qwen2");
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static ChatMessage[] Messages(string user = "Sveriges huvudstad?") =>
        [new(ChatRole.System, "Svara kort."), new(ChatRole.User, user)];

    private static ChatOptions Greedy(int max, params string[] stops) =>
        new() { Temperature = 0, MaxOutputTokens = max, StopSequences = stops.Length == 0 ? null : [.. stops] };

    private static SkaldChatClient Solo() => new(TextGenerator.Load(Folder)) { MaxBatchSize = 1 };

    /// <summary>
    /// A client whose decoding thread stops at its first offer of a free row until <see cref="Go"/>, and (once) at the first
    /// offer that sees a single request left until <see cref="Resume"/>.
    /// </summary>
    private sealed class Gated : IDisposable
    {
        public Gated(int maxBatchTokens = 16384, int batchWaitMs = 5, int prefillChunk = 512)
        {
            Client = new SkaldChatClient(TextGenerator.Load(Folder))
            {
                MaxBatchTokens = maxBatchTokens,
                BatchWait = TimeSpan.FromMilliseconds(batchWaitMs),
                PrefillChunk = prefillChunk,
                OfferingRow = () =>
                {
                    Offers++;
                    if (!Go.IsSet)
                    {
                        Offered.Release();
                        Go.Wait(Patience);
                    }
                    else if (Client!.Pending == 1 && !Resume.IsSet)
                    {
                        OneLeft.Release();
                        Resume.Wait(Patience);
                    }
                },
            };
        }

        public SkaldChatClient Client { get; }
        public SemaphoreSlim Offered { get; } = new(0);
        public SemaphoreSlim OneLeft { get; } = new(0);
        public ManualResetEventSlim Go { get; } = new();
        public ManualResetEventSlim Resume { get; } = new();

        /// <summary>Rows offered so far (counted on the decoding thread).</summary>
        public int Offers { get; private set; }

        /// <summary>Starts <paramref name="first"/> and returns once its batch decodes (held at its first offer).</summary>
        public async Task<Task<T>> Start<T>(Func<SkaldChatClient, Task<T>> first)
        {
            var task = first(Client);
            Assert.True(await Offered.WaitAsync(Patience), "the first request's batch never offered a free row");
            return task;
        }

        public void Dispose()
        {
            Go.Set();
            Resume.Set();
            Client.Dispose();
        }
    }

    [Fact]
    public async Task ARequestArrivingMidBatchJoinsAndIsAnsweredBeforeTheLongOneWithItsSoloAnswer()
    {
        using var solo = Solo();
        var expectedLong = await solo.GetResponseAsync(Messages(), Greedy(40));
        var expectedShort = await solo.GetResponseAsync(Messages(), Greedy(4));
        Assert.Equal(40, expectedLong.Usage!.OutputTokenCount); // no end-of-sequence: the long one decodes all 40 steps
        using var gated = new Gated();
        var longTask = await gated.Start(c => c.GetResponseAsync(Messages(), Greedy(40)));
        var shortTask = gated.Client.GetResponseAsync(Messages(), Greedy(4));
        gated.Go.Set();
        Assert.True(await gated.OneLeft.WaitAsync(Patience), "no step saw one request left");
        Assert.Equal(1, gated.Client.JoinedRequests);
        var shortAnswer = await shortTask.WaitAsync(Patience);
        Assert.False(longTask.IsCompleted); // its batch is held mid-way: the short answer came first
        gated.Resume.Set();
        var longAnswer = await longTask.WaitAsync(Patience);
        Assert.Equal(expectedShort.Text, shortAnswer.Text);
        Assert.Equal(expectedShort.Usage!.OutputTokenCount, shortAnswer.Usage!.OutputTokenCount);
        Assert.Equal(expectedShort.Usage.InputTokenCount, shortAnswer.Usage.InputTokenCount);
        Assert.Equal(expectedLong.Text, longAnswer.Text);
        Assert.Equal(2, gated.Client.LargestBatch);
        Assert.Equal(0, gated.Client.Pending);
    }

    [Fact]
    public async Task AJoinedRequestSamplesWithItsSeedAsAlone()
    {
        ChatOptions Sampled(long seed) => new() { Temperature = 1.3f, TopK = 30, Seed = seed, MaxOutputTokens = 12 };
        using var solo = Solo();
        var expected = await solo.GetResponseAsync(Messages(), Sampled(5));
        Assert.NotEqual(expected.Text, (await solo.GetResponseAsync(Messages(), Sampled(6))).Text); // the seed matters here
        using var gated = new Gated();
        var longTask = await gated.Start(c => c.GetResponseAsync(Messages(), Greedy(40)));
        var joined = gated.Client.GetResponseAsync(Messages(), Sampled(5));
        gated.Go.Set();
        gated.Resume.Set();
        Assert.Equal(expected.Text, (await joined.WaitAsync(Patience)).Text);
        await longTask.WaitAsync(Patience);
        Assert.Equal(1, gated.Client.JoinedRequests);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(16)] // its prompt prefilled in chunks between the batch's steps
    public async Task AJoinedStreamIsCutBeforeItsStopSequenceAndNeverShowsIt(int prefillChunk)
    {
        ChatOptions Sampled(params string[] stops) =>
            new() { Temperature = 1.5f, Seed = 11, MaxOutputTokens = 24, StopSequences = stops.Length == 0 ? null : [.. stops] };
        using var solo = Solo();
        string free = (await solo.GetResponseAsync(Messages(), Sampled())).Text;
        // the first two-character piece from character 6 on that does not occur earlier: a stop met inside the text
        int from = Enumerable.Range(6, free.Length - 8).First(i => free.IndexOf(free.Substring(i, 2), StringComparison.Ordinal) == i);
        string stop = free.Substring(from, 2);
        using var gated = new Gated(prefillChunk: prefillChunk);
        var longTask = await gated.Start(c => c.GetResponseAsync(Messages(), Greedy(40)));
        var pieces = new List<string?>();
        ChatFinishReason? reason = null;
        async Task<int> Stream()
        {
            await foreach (var u in gated.Client.GetStreamingResponseAsync(Messages(), Sampled(stop)))
            {
                pieces.Add(u.Text);
                reason ??= u.FinishReason;
            }
            return pieces.Count;
        }
        var streamed = Stream();
        gated.Go.Set();
        gated.Resume.Set();
        Assert.True(await streamed.WaitAsync(Patience) > 2);
        await longTask.WaitAsync(Patience);
        Assert.Equal(1, gated.Client.JoinedRequests);
        Assert.Equal(free[..from], string.Concat(pieces));
        Assert.Equal(ChatFinishReason.Stop, reason);
    }

    [Fact]
    public async Task APromptLongerThanTheFilledColumnsWaitsForTheNextBatchAndOneBehindItThatFitsJoins()
    {
        var generator = TextGenerator.Load(Folder);
        int Tokens(string user) => generator.Tokenize(GenerationInput.FromMessages([new ChatTurn("system", "Svara kort."), new ChatTurn("user", user)])).Length;
        // the fixture's conversation is longer than "Hej!" + the first request's 10 new tokens ("Hej!" decodes to
        // replacement characters on this random model: fine here, where only the waiting is looked at)
        Assert.True(Tokens("Sveriges huvudstad?") > Tokens("Hej!") + 10, $"{Tokens("Sveriges huvudstad?")} and {Tokens("Hej!")} tokens");
        using var solo = Solo();
        var expected = new[] { await solo.GetResponseAsync(Messages("Hej!"), Greedy(4)), await solo.GetResponseAsync(Messages(), Greedy(4)) };
        using var gated = new Gated();
        var first = await gated.Start(c => c.GetResponseAsync(Messages("Hej!"), Greedy(10)));
        var fits = gated.Client.GetResponseAsync(Messages("Hej!"), Greedy(4));   // joins
        var tooLong = gated.Client.GetResponseAsync(Messages(), Greedy(4));      // never fits the first batch's columns
        var behind = gated.Client.GetResponseAsync(Messages("Hej!"), Greedy(4)); // fits, and ends before the first one
        gated.Go.Set();
        gated.Resume.Set();
        var answers = await Task.WhenAll(fits, tooLong, behind).WaitAsync(Patience);
        await first.WaitAsync(Patience);
        Assert.Equal(2, gated.Client.JoinedRequests); // the one that fits, and the one behind the long prompt, which waits
        Assert.Equal(3, gated.Client.LargestBatch);
        Assert.Equal(expected[0].Text, answers[0].Text);
        Assert.Equal(expected[1].Text, answers[1].Text);
        Assert.Equal(expected[0].Text, answers[2].Text);
        Assert.All(answers, a => Assert.Equal(4, a.Usage!.OutputTokenCount));
    }

    [Fact]
    public async Task ARequestBehindOneThatDoesNotFitJoinsOnlyIfItEndsWithTheBatch()
    {
        using var solo = Solo();
        var expected = new[] { await solo.GetResponseAsync(Messages(), Greedy(4)), await solo.GetResponseAsync(Messages("Hej!"), Greedy(12)),
            await solo.GetResponseAsync(Messages("Hej!"), Greedy(4)) };
        using var gated = new Gated();
        // the batch: "Hej!" with 10 new tokens; behind a prompt too long for its columns, a request that fits them but
        // would decode 2 steps past the batch's end (keeping the long prompt waiting longer), then one that ends before it
        var first = await gated.Start(c => c.GetResponseAsync(Messages("Hej!"), Greedy(10)));
        var tooLong = gated.Client.GetResponseAsync(Messages(), Greedy(4));
        var outlasting = gated.Client.GetResponseAsync(Messages("Hej!"), Greedy(12));
        var ending = gated.Client.GetResponseAsync(Messages("Hej!"), Greedy(4));
        gated.Go.Set();
        gated.Resume.Set();
        var answers = await Task.WhenAll(tooLong, outlasting, ending).WaitAsync(Patience);
        await first.WaitAsync(Patience);
        Assert.Equal(1, gated.Client.JoinedRequests); // the last one only; the long prompt starts the next batch, with the other
        Assert.Equal(2, gated.Client.LargestBatch);
        for (int i = 0; i < answers.Length; i++) Assert.Equal(expected[i].Text, answers[i].Text);
    }

    [Fact]
    public async Task ARequestThatLeftNoLongerCountsTowardsTheHorizonAPassingRequestMustEndBy()
    {
        using var solo = Solo();
        var expected = new[] { await solo.GetResponseAsync(Messages(), Greedy(4)), await solo.GetResponseAsync(Messages("Hej!"), Greedy(12)) };
        using var gated = new Gated();
        // the batch: "Hej!" with 30 new tokens, which leaves after its first step; a 6-token request joins at the first
        // offer. Then, behind a prompt too long for the columns, one that would end 12 tokens on: before the 30-token
        // request's end, but after the 6-token one's, the last the batch still decodes, so it waits too
        using var leave = new CancellationTokenSource();
        var first = await gated.Start(c => c.GetResponseAsync(Messages("Hej!"), Greedy(30), leave.Token));
        var joined = gated.Client.GetResponseAsync(Messages("Hej!"), Greedy(6));
        await leave.CancelAsync();
        gated.Go.Set();
        Assert.True(await gated.OneLeft.WaitAsync(Patience), "the request that left was not let go");
        var tooLong = gated.Client.GetResponseAsync(Messages(), Greedy(4));
        var outlasting = gated.Client.GetResponseAsync(Messages("Hej!"), Greedy(12));
        gated.Resume.Set();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Patience));
        await joined.WaitAsync(Patience);
        var answers = await Task.WhenAll(tooLong, outlasting).WaitAsync(Patience);
        Assert.Equal(1, gated.Client.JoinedRequests); // the 6-token one; the 12-token one starts the next batch with the long prompt
        for (int i = 0; i < answers.Length; i++) Assert.Equal(expected[i].Text, answers[i].Text);
    }

    [Fact]
    public async Task AJoiningPromptPrefilledInChunksGetsItsSoloAnswerWhileTheBatchSteps()
    {
        var generator = TextGenerator.Load(Folder);
        int prompt = generator.Tokenize(GenerationInput.FromMessages([new ChatTurn("system", "Svara kort."), new ChatTurn("user", "Sveriges huvudstad?")])).Length;
        const int chunk = 16;
        int chunks = (prompt + chunk - 1) / chunk;
        Assert.True(prompt % chunk != 0 && chunks is > 1 and < 39, $"{prompt} tokens"); // the last chunk leaves budget to offer a row
        Assert.Throws<ArgumentOutOfRangeException>(() => new SkaldChatClient(generator) { PrefillChunk = -1 });
        using var solo = Solo();
        var expected = await solo.GetResponseAsync(Messages(), Greedy(4));
        var offers = new List<int>();
        foreach (int size in new[] { 0, chunk })
        {
            using var gated = new Gated(prefillChunk: size);
            var longTask = await gated.Start(c => c.GetResponseAsync(Messages(), Greedy(40)));
            var joined = gated.Client.GetResponseAsync(Messages(), Greedy(4));
            gated.Resume.Set();
            gated.Go.Set();
            Assert.Equal(expected.Text, (await joined.WaitAsync(Patience)).Text);
            await longTask.WaitAsync(Patience);
            Assert.Equal(1, gated.Client.JoinedRequests);
            offers.Add(gated.Offers);
        }
        // the 40-token request's 39 gaps between steps offer a free row each, and the one where a request joins one more;
        // in chunks, its prefill spans `chunks` gaps, and none but the first and the last offers a row
        Assert.Equal(40, offers[0]);
        Assert.Equal(40 - (chunks - 1), offers[1]);
    }

    [Fact]
    public async Task ARequestWhoseMaxTokensExceedTheColumnsLeftWaits()
    {
        var generator = TextGenerator.Load(Folder);
        int prompt = generator.Tokenize(GenerationInput.FromMessages([new ChatTurn("system", "Svara kort."), new ChatTurn("user", "Sveriges huvudstad?")])).Length;
        int many = generator.Context - prompt; // fits the context, not the columns the first batch has left
        Assert.True(many > 40, $"{many}");
        using var solo = Solo();
        var expected = await solo.GetResponseAsync(Messages(), Greedy(many));
        // a budget of two rows of (prompt + 40) and one more for the joining prompts' prefill: the cache has exactly the
        // first request's columns
        using var gated = new Gated(maxBatchTokens: 3 * (prompt + 40));
        var first = await gated.Start(c => c.GetResponseAsync(Messages(), Greedy(40)));
        var small = gated.Client.GetResponseAsync(Messages(), Greedy(4));
        var large = gated.Client.GetResponseAsync(Messages(), Greedy(many));
        gated.Go.Set();
        gated.Resume.Set();
        await Task.WhenAll(first, small).WaitAsync(Patience);
        Assert.Equal(expected.Text, (await large.WaitAsync(Patience)).Text);
        Assert.Equal(1, gated.Client.JoinedRequests); // the small one joined, the large one waited
    }

    [Fact]
    public async Task AJoinedRequestWhoseCallerLeftStopsAndTheBatchGoesOn()
    {
        using var solo = Solo();
        var expected = await solo.GetResponseAsync(Messages(), Greedy(40));
        using var gated = new Gated();
        var longTask = await gated.Start(c => c.GetResponseAsync(Messages(), Greedy(40)));
        using var cancel = new CancellationTokenSource();
        int seen = 0;
        async Task Leave()
        {
            await foreach (var u in gated.Client.GetStreamingResponseAsync(Messages(), Greedy(25), cancel.Token))
            {
                if (++seen == 2) await cancel.CancelAsync();
            }
        }
        var leaving = Leave();
        gated.Go.Set();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving.WaitAsync(Patience));
        Assert.True(await gated.OneLeft.WaitAsync(Patience), "the cancelled request was not let go while the batch decoded");
        Assert.False(longTask.IsCompleted);
        gated.Resume.Set();
        Assert.Equal(expected.Text, (await longTask.WaitAsync(Patience)).Text);
        Assert.Equal(1, gated.Client.JoinedRequests);
        Assert.Equal(0, gated.Client.Pending);
    }

    [Fact]
    public async Task ARequestStreamedFromTheRowOfAFinishedOneStreamsOnlyItsOwnText()
    {
        var generator = TextGenerator.Load(Folder);
        int prompt = generator.Tokenize(GenerationInput.FromMessages([new ChatTurn("system", "Svara kort."), new ChatTurn("user", "Sveriges huvudstad?")])).Length;
        ChatOptions Sampled() => new() { Temperature = 1.3f, Seed = 9, MaxOutputTokens = 16 };
        using var solo = Solo();
        string expected = (await solo.GetResponseAsync(Messages(), Sampled())).Text;
        // two rows of (prompt + 40) columns (and one more for the joining prompts' prefill): the two first requests fill
        // them, so the third can only take the row of the one that finishes after 2 tokens (they arrive within the
        // 300 ms the first waits for batch mates)
        using var gated = new Gated(maxBatchTokens: 3 * (prompt + 40), batchWaitMs: 300);
        var longTask = gated.Client.GetResponseAsync(Messages(), Greedy(40));
        // ("Hej!" is answered with bytes of incomplete characters here: a stream of this row holds them back, and would
        // hand them to the next request in the row if its stream were not a new one)
        var shortTask = gated.Client.GetResponseAsync(Messages("Hej!"), Greedy(2));
        Assert.True(await gated.Offered.WaitAsync(Patience), "no row was offered");
        await shortTask.WaitAsync(Patience); // settled the step its row finished, before that row was offered
        Assert.Equal(2, gated.Client.LargestBatch);
        var pieces = new List<string>();
        async Task Stream()
        {
            await foreach (var u in gated.Client.GetStreamingResponseAsync(Messages(), Sampled())) pieces.Add(u.Text);
        }
        var streamed = Stream();
        gated.Go.Set();
        gated.Resume.Set();
        await streamed.WaitAsync(Patience);
        await longTask.WaitAsync(Patience);
        Assert.Equal(1, gated.Client.JoinedRequests);
        Assert.Equal(expected, string.Concat(pieces));
    }

    [Fact]
    public async Task AFailureBetweenStepsFailsItsBatchOnlyAndTheWorkerAnswersTheRequestsAfterIt()
    {
        using var solo = Solo();
        var expected = await solo.GetResponseAsync(Messages(), Greedy(12));
        var go = new ManualResetEventSlim();
        int offers = 0;
        using var client = new SkaldChatClient(TextGenerator.Load(Folder))
        {
            OfferingRow = () =>
            {
                if (Interlocked.Increment(ref offers) > 1) return;
                go.Wait(Patience); // the second request is queued meanwhile
                throw new InvalidOperationException("a failing join");
            },
        };
        var first = client.GetResponseAsync(Messages(), Greedy(12));
        while (Volatile.Read(ref offers) == 0) await Task.Delay(5);
        var second = client.GetResponseAsync(Messages(), Greedy(12));
        go.Set();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => first.WaitAsync(Patience));
        Assert.Contains("a failing join", failure.Message);
        Assert.Equal(expected.Text, (await second.WaitAsync(Patience)).Text); // a new batch, on a cache left consistent
        Assert.Equal(expected.Text, (await client.GetResponseAsync(Messages(), Greedy(12)).WaitAsync(Patience)).Text);
        Assert.Equal(0, client.Pending);
    }
}
