using System.ClientModel;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using Skald.Models.Architectures;
using Skald.Models.Generation;
using Skald.Tensors.Autograd;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// Log-probabilities from <c>skald serve --generator</c> in OpenAI's shapes: chat's <c>logprobs</c> /
/// <c>top_logprobs</c> read by the official OpenAI .NET SDK (whole and streamed) and as raw JSON, and legacy
/// completions' <c>logprobs: N</c> (tokens, token_logprobs, top_logprobs, text_offset), whole and streamed. Every value
/// is checked against the decoder's own forward pass over the whole sequence without a cache and a log-softmax taken
/// here in double (the raw distribution, vLLM's default), greedy and sampled with a seed; <c>bytes</c> against the
/// tokens' raw bytes through a GPT-2 byte table built here, and <c>text_offset</c> against the answer's characters.
/// </summary>
public sealed class LogProbsEndpointTests : LiveChatServerTests
{
    private static readonly TextGenerator Reference = TextGenerator.Load(ChatFolder);
    private sealed record Step(int Id, string Token, double LogProb, (int Id, string Token, double LogProb)[] Top);

    private static readonly ChatTurn[] Turns = [new("system", "Svara kort."), new("user", "Sveriges huvudstad?")];

    private static int[] ChatPrompt() => Reference.Tokenize(GenerationInput.FromMessages(Turns));

    private static string Token(int id) => Reference.Tokenizer.Decode([id], skipSpecialTokens: false);

    // Per generated token: its text, its log-probability and the top most likely, from the decoder's full forward over
    // prompt + the tokens before it and a log-softmax in double.
    private static Step[] Expected(int[] prompt, int[] generated, int top)
    {
        var steps = new Step[generated.Length];
        for (int t = 0; t < generated.Length; t++)
        {
            int[] ids = [.. prompt, .. generated[..t]];
            var tape = new Tape(recording: false);
            var hidden = Reference.Decoder.Forward(tape, new TokenBatch(ids, [.. ids.Select(_ => 1)], new int[ids.Length], 1, ids.Length));
            var logits = Reference.Decoder.LmHead!.Logits(tape, hidden, [ids.Length - 1]).Span.ToArray();
            double max = logits.Max(), log = Math.Log(logits.Sum(z => Math.Exp(z - max)));
            double Lp(int id) => logits[id] - max - log;
            var best = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(top).Select(i => (i, Token(i), Lp(i))).ToArray();
            steps[t] = new Step(generated[t], Token(generated[t]), Lp(generated[t]), best);
        }
        return steps;
    }

    // GPT-2's byte-to-unicode table (the fixture tokenizer is byte-level), built here from its definition: the printable
    // bytes ! to ~, ¡ to ¬ and ® to ÿ stand for themselves, every other byte, in order, for the characters from U+0100 on.
    private static readonly Dictionary<char, byte> ByteOfChar = BuildByteOfChar();

    private static Dictionary<char, byte> BuildByteOfChar()
    {
        var table = new Dictionary<char, byte>();
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[(char)(printable ? b : next++)] = (byte)b;
        }
        return table;
    }

    // A token's raw bytes: its vocabulary characters mapped back to bytes (an added token such as <|end_of_text|> is
    // printable ASCII, so the same table gives its UTF-8).
    private static byte[] Raw(int id) => [.. Reference.Tokenizer.IdToToken(id)!.Select(c => ByteOfChar[c])];

    // text_offset as OpenAI means it: the character (code point) of the choice's text that holds the token's first byte,
    // the tokens' raw bytes laid end to end and read as the text is (each invalid piece, or an unfinished character at the
    // end, one U+FFFD); past the text's end, its length.
    private static int[] Offsets(string text, int[] ids)
    {
        byte[] all = [.. ids.SelectMany(Raw)];
        var ends = new List<int>(); // where each character's bytes end
        for (int at = 0; at < all.Length;)
        {
            System.Text.Rune.DecodeFromUtf8(all.AsSpan(at), out _, out int used);
            ends.Add(at += used);
        }
        Assert.Equal(text, Encoding.UTF8.GetString(all)); // the text is these bytes (no special token left out)
        Assert.Equal(text.EnumerateRunes().Count(), ends.Count);
        var offsets = new int[ids.Length];
        int start = 0;
        for (int t = 0; t < ids.Length; t++)
        {
            offsets[t] = ends.Count(e => e <= start);
            start += Raw(ids[t]).Length;
        }
        return offsets;
    }

    private static void Near(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) < 1e-4, $"{what}: {actual}, expected {expected}");


    private static void AssertSdk(Step[] expected, IReadOnlyList<ChatTokenLogProbabilityDetails> got)
    {
        Assert.Equal(expected.Length, got.Count);
        for (int t = 0; t < expected.Length; t++)
        {
            Assert.Equal(expected[t].Token, got[t].Token);
            Near(expected[t].LogProb, got[t].LogProbability, $"token {t}");
            Assert.Equal(Raw(expected[t].Id), got[t].Utf8Bytes?.ToArray());
            Assert.Equal(expected[t].Top.Select(x => x.Token), got[t].TopLogProbabilities.Select(x => x.Token));
            for (int k = 0; k < expected[t].Top.Length; k++)
            {
                Near(expected[t].Top[k].LogProb, got[t].TopLogProbabilities[k].LogProbability, $"token {t} top {k}");
                Assert.Equal(Raw(expected[t].Top[k].Id), got[t].TopLogProbabilities[k].Utf8Bytes?.ToArray());
            }
        }
    }

    private static OpenAI.Chat.ChatMessage[] Conversation() => [new SystemChatMessage("Svara kort."), new UserChatMessage("Sveriges huvudstad?")];

    [Fact]
    public async Task TheSdkReadsEachTokensLogProbAndTopAlternatives()
    {
        var prompt = ChatPrompt();
        var generated = Reference.Generate([prompt], new GenerationOptions { MaxNewTokens = 8 })[0];
        var expected = Expected(prompt, generated.Ids, 3);
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 8, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };
        var answer = (await Sdk().CompleteChatAsync(Conversation(), options)).Value;
        Assert.Equal(generated.Text, answer.Content[0].Text);
        AssertSdk(expected, answer.ContentTokenLogProbabilities);
        Assert.All(answer.ContentTokenLogProbabilities, t => Assert.Equal(t.TopLogProbabilities[0].Token, t.Token)); // greedy
    }

    [Fact]
    public async Task TheSdksStreamCarriesEachTokensEntryOnceInOrder()
    {
        var prompt = ChatPrompt();
        var generated = Reference.Generate([prompt], new GenerationOptions { MaxNewTokens = 12 })[0];
        var expected = Expected(prompt, generated.Ids, 2);
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12, IncludeLogProbabilities = true, TopLogProbabilityCount = 2 };
        var all = new List<ChatTokenLogProbabilityDetails>();
        int carrying = 0;
        var text = new StringBuilder();
        await foreach (var update in Sdk().CompleteChatStreamingAsync(Conversation(), options))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            all.AddRange(update.ContentTokenLogProbabilities);
            if (update.ContentTokenLogProbabilities.Count > 0) carrying++;
        }
        Assert.Equal(generated.Text, text.ToString());
        AssertSdk(expected, all);
        Assert.True(carrying > 1, $"{carrying} chunk(s) carried entries"); // each chunk its own tokens', not all at the end
    }

    [Fact]
    public async Task SampledChatTokensCarryTheRawDistributionAndNoneWhenNotAsked()
    {
        var prompt = ChatPrompt();
        var sampling = new GenerationOptions { MaxNewTokens = 10, Temperature = 1.6f, TopP = 0.8f, Seed = 5 };
        var generated = Reference.Generate([prompt], sampling)[0];
        var expected = Expected(prompt, generated.Ids, 0);
        var messages = Turns.Select(t => new { role = t.Role, content = t.Content }).ToArray();
        var (status, body) = await PostAsync(Http, Json(new { messages, max_tokens = 10, temperature = 1.6, top_p = 0.8, seed = 5, logprobs = true }),
            path: "v1/chat/completions");
        Assert.Equal(200, status);
        var logprobs = body.GetProperty("choices")[0].GetProperty("logprobs");
        Assert.Equal(JsonValueKind.Null, logprobs.GetProperty("refusal").ValueKind);
        var content = logprobs.GetProperty("content").EnumerateArray().ToArray();
        Assert.Equal(expected.Length, content.Length);
        for (int t = 0; t < content.Length; t++)
        {
            Assert.Equal(expected[t].Token, content[t].GetProperty("token").GetString());
            Near(expected[t].LogProb, content[t].GetProperty("logprob").GetDouble(), $"token {t}");
            Assert.Equal(Raw(expected[t].Id), content[t].GetProperty("bytes").EnumerateArray().Select(b => (byte)b.GetInt32()));
            Assert.Equal(0, content[t].GetProperty("top_logprobs").GetArrayLength()); // top_logprobs not given: none
        }
        // streamed, every chunk has its logprobs object (the last, whose tokens' entries all went before, an empty one)
        string json = Json(new { messages, max_tokens = 10, temperature = 1.6, top_p = 0.8, seed = 5, logprobs = true, stream = true });
        using var response = await Http.PostAsync("v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        var chunks = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0].GetProperty("logprobs")).ToArray();
        Assert.All(chunks, c => Assert.Equal(JsonValueKind.Object, c.ValueKind));
        Assert.Equal(expected.Select(x => x.Token), chunks.SelectMany(c => c.GetProperty("content").EnumerateArray()).Select(c => c.GetProperty("token").GetString()));
        (status, body) = await PostAsync(Http, Json(new { messages, max_tokens = 3 }), path: "v1/chat/completions");
        Assert.Equal(200, status);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("choices")[0].GetProperty("logprobs").ValueKind);
    }

    [Fact]
    public async Task BytesAreEachTokensRawBytesThoseOfPartOfACharacterIncluded()
    {
        var prompt = ChatPrompt();
        // a seed whose answer splits a character over tokens (each decodes alone to U+FFFD) and ends on whole characters
        GenerationOptions Sampling(ulong seed) => new() { MaxNewTokens = 12, Temperature = 1.5f, Seed = seed };
        var (seed, generated) = Enumerable.Range(1, 500).Select(s => ((ulong)s, Reference.Generate([prompt], Sampling((ulong)s))[0]))
            .First(x => x.Item2.FinishReason == FinishReason.Length && !x.Item2.Text.Contains('\uFFFD')
                && x.Item2.Ids.Any(id => Token(id).Contains('\uFFFD')));
        var expected = Expected(prompt, generated.Ids, 4);
        var messages = Turns.Select(t => new { role = t.Role, content = t.Content }).ToArray();
        var (status, body) = await PostAsync(Http, Json(new { messages, max_tokens = 12, temperature = 1.5, seed, logprobs = true, top_logprobs = 4 }),
            path: "v1/chat/completions");
        Assert.Equal(200, status);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(generated.Text, choice.GetProperty("message").GetProperty("content").GetString());
        var content = choice.GetProperty("logprobs").GetProperty("content").EnumerateArray().ToArray();
        static byte[] Bytes(JsonElement e) => [.. e.GetProperty("bytes").EnumerateArray().Select(b => (byte)b.GetInt32())];
        // laid end to end, the chosen tokens' bytes are the answer's UTF-8
        Assert.Equal(Encoding.UTF8.GetBytes(generated.Text), content.SelectMany(Bytes).ToArray());
        for (int t = 0; t < expected.Length; t++)
        {
            Assert.Equal(expected[t].Token, content[t].GetProperty("token").GetString()); // the text stays vLLM's (U+FFFD)
            Assert.Equal(Raw(expected[t].Id), Bytes(content[t]));
            var top = content[t].GetProperty("top_logprobs").EnumerateArray().ToArray();
            for (int k = 0; k < top.Length; k++) Assert.Equal(Raw(expected[t].Top[k].Id), Bytes(top[k]));
        }
        Assert.Contains(content, c => Bytes(c) is [>= 0x80, ..] && c.GetProperty("token").GetString()!.Contains('\uFFFD'));
    }

    [Fact]
    public async Task EveryStreamedChunkHasLogprobsAndTheirEntriesAreTheAnswersTokensThosePastAStopIncluded()
    {
        var prompt = ChatPrompt();
        var free = Reference.Generate([prompt], new GenerationOptions { MaxNewTokens = 24, Temperature = 1.5f, Seed = 11 })[0].Text;
        // a two-character stop first met at character 6 or later of the free text
        int from = Enumerable.Range(6, free.Length - 8).First(i => free.IndexOf(free.Substring(i, 2), StringComparison.Ordinal) == i);
        string stop = free.Substring(from, 2);
        var generated = Reference.Generate([prompt], new GenerationOptions { MaxNewTokens = 24, Temperature = 1.5f, Seed = 11, StopStrings = [stop] })[0];
        Assert.Equal(FinishReason.Stop, generated.FinishReason);
        var expected = Expected(prompt, generated.Ids, 1);
        var messages = Turns.Select(t => new { role = t.Role, content = t.Content }).ToArray();
        string json = Json(new { messages, max_tokens = 24, temperature = 1.5, seed = 11, stop, stream = true, logprobs = true, top_logprobs = 1 });
        using var response = await Http.PostAsync("v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)response.StatusCode);
        var choices = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0]).ToArray();
        Assert.All(choices, c => Assert.Equal(JsonValueKind.Object, c.GetProperty("logprobs").ValueKind)); // asked for: never null
        Assert.Equal(generated.Text, string.Concat(choices.Select(c => c.GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : "")));
        var content = choices.SelectMany(c => c.GetProperty("logprobs").GetProperty("content").EnumerateArray()).ToArray();
        Assert.Equal(expected.Select(x => x.Token), content.Select(c => c.GetProperty("token").GetString()));
        for (int t = 0; t < expected.Length; t++)
        {
            Near(expected[t].LogProb, content[t].GetProperty("logprob").GetDouble(), $"token {t}");
            Assert.Equal(expected[t].Top[0].Token, content[t].GetProperty("top_logprobs")[0].GetProperty("token").GetString());
        }
    }

    private static string CompletionPrompt() => Reference.ChatFormatter!.Format(Turns);

    // The legacy shape of one choice's logprobs against the expected steps and their text_offset.
    private static void AssertLegacy(Step[] expected, int[] wantOffsets, JsonElement logprobs)
    {
        var tokens = logprobs.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()!).ToArray();
        Assert.Equal(expected.Select(s => s.Token), tokens);
        var values = logprobs.GetProperty("token_logprobs").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var tops = logprobs.GetProperty("top_logprobs").EnumerateArray().ToArray();
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int t = 0; t < expected.Length; t++)
        {
            Near(expected[t].LogProb, values[t], $"token {t}");
            // the asked-for most likely and the chosen token, each once
            var want = expected[t].Top.Select(x => (x.Token, x.LogProb)).Append((expected[t].Token, expected[t].LogProb)).DistinctBy(x => x.Token).ToArray();
            var got = tops[t].EnumerateObject().ToArray();
            Assert.Equal(want.Select(x => x.Token).Order(StringComparer.Ordinal), got.Select(p => p.Name).Order(StringComparer.Ordinal));
            foreach (var (token, lp) in want) Near(lp, tops[t].GetProperty(token).GetDouble(), $"token {t} alternative {token}");
            Assert.Equal(wantOffsets[t], offsets[t]);
        }
    }

    [Fact]
    public async Task ACompletionsLogprobsListsTokensValuesTopDictsAndOffsets()
    {
        string prompt = CompletionPrompt();
        var ids = Reference.Tokenize(GenerationInput.FromPrompt(prompt));
        // a seed whose answer has a character of several bytes (the tiny vocabulary splits it: its tokens' own texts are
        // U+FFFD) and bytes that are not UTF-8 before its end (each piece one U+FFFD in the text)
        var (seed, generated) = Enumerable.Range(1, 2000)
            .Select(s => ((ulong)s, Reference.Generate([ids], new GenerationOptions { MaxNewTokens = 12, Temperature = 1.5f, Seed = (ulong)s })[0]))
            .First(x => x.Item2.FinishReason == FinishReason.Length && x.Item2.Text[..^1].Contains('\uFFFD')
                && x.Item2.Text.EnumerateRunes().Any(r => r.Utf8SequenceLength > 1 && r.Value != 0xFFFD));
        var expected = Expected(ids, generated.Ids, 2);
        var (status, body) = await PostAsync(Http, Json(new { prompt, max_tokens = 12, temperature = 1.5, seed, logprobs = 2 }), path: "v1/completions");
        Assert.Equal(200, status);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(generated.Text, choice.GetProperty("text").GetString());
        var wantOffsets = Offsets(generated.Text, generated.Ids);
        AssertLegacy(expected, wantOffsets, choice.GetProperty("logprobs"));
        // streamed: the events' entries in order are the whole answer's, their offsets counted on from the earlier events
        using var response = await Http.PostAsync("v1/completions", new StringContent(
            Json(new { prompt, max_tokens = 12, temperature = 1.5, seed, logprobs = 2, stream = true }), Encoding.UTF8, "application/json"));
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1]
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0].GetProperty("logprobs"))
            .Where(l => l.ValueKind == JsonValueKind.Object).ToArray();
        Assert.True(events.Length > 1, $"{events.Length} event(s) carried logprobs");
        int done = 0;
        foreach (var e in events)
        {
            int n = e.GetProperty("tokens").GetArrayLength();
            AssertLegacy(expected[done..(done + n)], wantOffsets[done..(done + n)], e);
            done += n;
        }
        Assert.Equal(expected.Length, done);
    }

    [Fact]
    public async Task AChatModelThatIsNotALocalDecoderRefusesLogprobsNamingTheField()
    {
        await using var other = await EmbeddingServer.StartLiveAsync(null, null, null, new ChatService(new Fixed(), "other"), "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = other.Address, Timeout = TimeSpan.FromSeconds(60) };
        var messages = new[] { new { role = "user", content = "x" } };
        var (status, body) = await PostAsync(client, Json(new { messages, logprobs = true }), path: "v1/chat/completions");
        Assert.Equal(400, status);
        Assert.Equal("logprobs", Error(body).GetProperty("param").GetString());
        (status, body) = await PostAsync(client, Json(new { messages, logprobs = false }), path: "v1/chat/completions");
        Assert.Equal(200, status);
        Assert.Equal("ok", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    // A chat model that is not a SkaldChatClient: answers "ok", and would answer without log-probabilities.
    private sealed class Fixed : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, ChatOptions? options = null,
            CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new Microsoft.Extensions.AI.ChatMessage(ChatRole.Assistant, "ok")));

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
            ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
