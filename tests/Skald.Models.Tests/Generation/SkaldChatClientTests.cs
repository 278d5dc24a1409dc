using System.Text.Json;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="SkaldChatClient"/>, a local decoder as Microsoft.Extensions.AI's IChatClient: the conversation is templated
/// to the ids jinja2 + HF tokenizers give (fixtures/chat-templates/chat_ids.json) and answered as
/// <see cref="TextGenerator"/> answers those ids; streaming gives the same text, held back around stop sequences.
/// </summary>
public sealed class SkaldChatClientTests
{
    private static readonly string Folder = ChatModelFolder.Create("decoder-qwen2");

    private static (ChatMessage[] Messages, int[] Ids) Case()
    {
        var c = ChatModelFolder.Expected("decoder-qwen2").GetProperty("generate")[0];
        var messages = c.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(new ChatRole(m.GetProperty("role").GetString()!), m.GetProperty("content").GetString())).ToArray();
        return (messages, ChatModelFolder.Ids(c.GetProperty("ids")));
    }

    private static ChatOptions Greedy(int max = 12, params string[] stops) =>
        new() { Temperature = 0, MaxOutputTokens = max, StopSequences = stops.Length == 0 ? null : [.. stops] };

    [Fact]
    public async Task AnAnswerIsTheGeneratorsGreedyContinuationOfTheTemplatedIds()
    {
        var (messages, ids) = Case();
        var generator = TextGenerator.Load(Folder);
        var expected = generator.Generate([ids], new GenerationOptions { MaxNewTokens = 12 })[0];
        using var client = new SkaldChatClient(TextGenerator.Load(Folder), "tiny");
        var answer = await client.GetResponseAsync(messages, Greedy());
        Assert.Equal(expected.Text, answer.Text);
        Assert.Equal(ChatRole.Assistant, answer.Messages[0].Role);
        Assert.Equal(ids.Length, answer.Usage!.InputTokenCount);
        Assert.Equal(expected.Ids.Length, answer.Usage.OutputTokenCount);
        Assert.Equal(expected.FinishReason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, answer.FinishReason);
        Assert.Equal("tiny", answer.ModelId);
    }

    [Fact]
    public void TheKvCacheHoldsTheBudgetOrEveryRowsWholeContextWhenThatIsLess()
    {
        var generator = TextGenerator.Load(Folder);
        int context = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "config.json"))).RootElement
            .GetProperty("max_position_embeddings").GetInt32();
        // the batch's cache and the joining prompts' prefill cache: each at most 8 rows of the whole context
        using var wide = new SkaldChatClient(generator) { MaxBatchSize = 8, MaxBatchTokens = 100_000 };
        Assert.Equal(16L * context, wide.KvCachePositions);
        using var tight = new SkaldChatClient(generator) { MaxBatchSize = 8, MaxBatchTokens = 3 * context };
        Assert.Equal(3L * context, tight.KvCachePositions);
    }

    [Fact]
    public async Task ADisposedClientRefusesRequestsAndLeavesItsGeneratorUsable()
    {
        var (messages, ids) = Case();
        var generator = TextGenerator.Load(Folder);
        var client = new SkaldChatClient(generator);
        client.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetResponseAsync(messages, Greedy()));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync(messages, Greedy())) { }
        });
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.CompleteAsync("Hei", Greedy()));
        using var again = new SkaldChatClient(generator);
        var answer = await again.GetResponseAsync(messages, Greedy());
        Assert.Equal(generator.Generate([ids], new GenerationOptions { MaxNewTokens = 12 })[0].Text, answer.Text);
    }

    [Fact]
    public async Task StreamingGivesTheSameTextAndEndsWithTheReasonAndUsage()
    {
        var (messages, _) = Case();
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        var whole = await client.GetResponseAsync(messages, Greedy(20));
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync(messages, Greedy(20))) updates.Add(u);
        Assert.True(updates.Count > 2);
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(whole.FinishReason, updates[^1].FinishReason);
        Assert.Equal(whole.Usage!.OutputTokenCount, updates[^1].Contents.OfType<UsageContent>().Single().Details.OutputTokenCount);
        Assert.All(updates[..^1], u => Assert.Null(u.FinishReason));
    }

    [Theory]
    [InlineData(0.0, 3)]   // greedy: this random model repeats one letter, so the stop is at the very start
    [InlineData(1.5, 3)]   // sampled (seeded): a stop first met well inside the text
    [InlineData(1.5, 1)]
    public async Task AStopSequenceIsNeverStreamedNotEvenInPart(double temperature, int stopLength)
    {
        var (messages, _) = Case();
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        ChatOptions Options(params string[] stops) => new()
        {
            Temperature = (float)temperature, Seed = 11, MaxOutputTokens = 24, StopSequences = stops.Length == 0 ? null : [.. stops],
        };
        string free = (await client.GetResponseAsync(messages, Options())).Text;
        Assert.True(free.Length >= 12, free);
        // the first stop-length piece from character 6 on that does not occur earlier (greedy: any piece, it occurs at 0)
        int from = Enumerable.Range(6, free.Length - 6 - stopLength).FirstOrDefault(i => free.IndexOf(free.Substring(i, stopLength), StringComparison.Ordinal) == i, 6);
        string stop = free.Substring(from, stopLength);
        int cut = free.IndexOf(stop, StringComparison.Ordinal);
        Assert.True(temperature == 0 ? cut == 0 : cut >= 6, $"[{free}] [{stop}]");
        var streamed = new List<string>();
        ChatFinishReason? reason = null;
        await foreach (var u in client.GetStreamingResponseAsync(messages, Options(stop)))
        {
            streamed.Add(u.Text);
            reason ??= u.FinishReason;
        }
        Assert.Equal(free[..cut], string.Concat(streamed));
        Assert.Equal(ChatFinishReason.Stop, reason);
        Assert.Equal(free[..cut], (await client.GetResponseAsync(messages, Options(stop))).Text);
    }

    [Fact]
    public async Task ASeedMakesSamplingRepeatable()
    {
        var (messages, _) = Case();
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        ChatOptions Sampled(long seed) => new() { Temperature = 1.5f, Seed = seed, MaxOutputTokens = 16 };
        string a = (await client.GetResponseAsync(messages, Sampled(7))).Text;
        Assert.Equal(a, (await client.GetResponseAsync(messages, Sampled(7))).Text);
        var others = new HashSet<string>();
        for (long s = 1; s <= 4; s++) others.Add((await client.GetResponseAsync(messages, Sampled(100 + s))).Text);
        Assert.True(others.Count > 1, "four seeds gave one text");
    }

    [Fact]
    public async Task WhatCannotBeAnsweredIsAnArgumentException()
    {
        var (messages, ids) = Case();
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        int context = client.Generator.Context;
        // max tokens past what the context leaves: refused for this prompt (PromptRefusedException), naming max_tokens
        var e = await Assert.ThrowsAsync<PromptRefusedException>(() => client.GetResponseAsync(messages, Greedy(context)));
        Assert.Equal("max_tokens", e.Field);
        Assert.Contains($"{ids.Length} prompt tokens", e.Message);
        // Qwen2's template teaches no tool-call format (ToolCallingChatClientTests has one that does)
        var tools = await Assert.ThrowsAsync<ChatOptionException>(() => client.GetResponseAsync(messages,
            new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] }));
        Assert.Equal("tools", tools.Field);
        Assert.Contains("teaches no tool-call format", tools.Message);
        Assert.DoesNotContain("server", tools.Message); // an in-process library call has no server (the HTTP one answers its own 400)
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1, 2 }, "image/png")])]));
        // an option it refuses is an ArgumentException that names the option's field
        var penalty = await Assert.ThrowsAsync<ChatOptionException>(() => client.GetResponseAsync(messages, new ChatOptions { FrequencyPenalty = 0.5f }));
        Assert.Equal("frequency_penalty", penalty.Field);
        var repetition = await Assert.ThrowsAsync<ChatOptionException>(() => client.GetResponseAsync(messages,
            new ChatOptions { AdditionalProperties = new() { ["repetition_penalty"] = "high" } }));
        Assert.Equal("repetition_penalty", repetition.Field);
        Assert.Equal("top_p", (await Assert.ThrowsAsync<ChatOptionException>(() => client.GetResponseAsync(messages, new ChatOptions { TopP = 0 }))).Field);
        // without max tokens the default applies, cut to what the context leaves
        using var roomy = new SkaldChatClient(TextGenerator.Load(Folder)) { DefaultMaxOutputTokens = 100_000 };
        var longest = await roomy.GetResponseAsync(messages, new ChatOptions { Temperature = 0 });
        Assert.InRange(longest.Usage!.OutputTokenCount!.Value, 1, context - ids.Length);
    }

    [Fact]
    public async Task ConcurrentRequestsAreDecodedTogetherEachAsItWouldBeAlone()
    {
        var (messages, _) = Case();
        using var alone = new SkaldChatClient(TextGenerator.Load(Folder)) { MaxBatchSize = 1 };
        ChatOptions Options(int i) => i % 2 == 0
            ? new() { Temperature = 0, MaxOutputTokens = 6 + i }
            : new() { Temperature = 1.3f, TopK = 20, Seed = 40 + i, MaxOutputTokens = 6 + i };
        var expected = new List<ChatResponse>();
        for (int i = 0; i < 5; i++) expected.Add(await alone.GetResponseAsync(messages, Options(i)));
        Assert.Equal(1, alone.LargestBatch);
        using var together = new SkaldChatClient(TextGenerator.Load(Folder)) { BatchWait = TimeSpan.FromMilliseconds(200) };
        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => together.GetResponseAsync(messages, Options(i))));
        Assert.Equal(5, together.LargestBatch);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(expected[i].Text, answers[i].Text);
            Assert.Equal(expected[i].Usage!.OutputTokenCount, answers[i].Usage!.OutputTokenCount);
            Assert.Equal(expected[i].FinishReason, answers[i].FinishReason);
        }
        Assert.Equal(0, together.Pending);
    }

    [Fact]
    public async Task ACancelledRequestStopsAndTheNextOneRuns()
    {
        var (messages, _) = Case();
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        using var cancel = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var u in client.GetStreamingResponseAsync(messages, Greedy(40), cancel.Token))
            {
                if (++seen == 2) cancel.Cancel();
            }
        });
        var next = await client.GetResponseAsync(messages, Greedy(4));
        Assert.Equal(4, next.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task APlainTextPromptIsContinuedWithoutTheTemplate()
    {
        var (messages, ids) = Case();
        var generator = TextGenerator.Load(Folder);
        // the templated conversation as plain text: this tokenizer adds no special tokens, so these are the chat's ids
        string text = generator.ChatFormatter!.Format([.. messages.Select(m => new ChatTurn(m.Role.Value, m.Text))]);
        Assert.Equal(ids, generator.Tokenize(GenerationInput.FromPrompt(text)));
        var expected = generator.Generate([generator.Tokenize(GenerationInput.FromPrompt("Hvad er klokken?"))], new GenerationOptions { MaxNewTokens = 6 })[0];
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        var plain = await client.CompleteAsync("Hvad er klokken?", Greedy(6));
        Assert.Equal(expected.Text, plain.Text);
        Assert.Equal(expected.Ids.Length, plain.Usage!.OutputTokenCount);
        Assert.StartsWith("cmpl-", plain.ResponseId);
        // the templated text continued as plain text is the chat answer; streamed, the same text
        var chat = await client.GetResponseAsync(messages, Greedy(12, "zz"));
        Assert.Equal(chat.Text, (await client.CompleteAsync(text, Greedy(12, "zz"))).Text);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.CompleteStreamingAsync(text, Greedy(12, "zz"))) updates.Add(u);
        Assert.Equal(chat.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(chat.FinishReason, updates[^1].FinishReason);
        Assert.Null((await Assert.ThrowsAsync<PromptRefusedException>(() => client.CompleteAsync("", Greedy(4)))).Field);
        Assert.Equal("max_tokens", (await Assert.ThrowsAsync<PromptRefusedException>(() => client.CompleteAsync("Hvad er klokken?", Greedy(client.Generator.Context)))).Field);
    }
}
