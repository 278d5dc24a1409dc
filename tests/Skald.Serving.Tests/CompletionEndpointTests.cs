using System.Text;
using System.Text.Json;
using Skald.Models.Generation;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/completions</c> (OpenAI's legacy text completions) with a local decoder: a prompt, or each of a list, is
/// continued as plain text — the tokens <see cref="TextGenerator.Generate"/> gives that text, greedy or sampled with a
/// seed — as one <c>text_completion</c> choice, whole or streamed (a stop sequence cut and never streamed); what the
/// server does not do is a 400 naming the field. Raw HTTP: the OpenAI .NET SDK's completions client is internal.
/// </summary>
public sealed class CompletionEndpointTests : LiveChatServerTests
{
    private static readonly TextGenerator Reference = TextGenerator.Load(ChatFolder);
    // A text this random model continues with readable letters: its chat template's rendering of a short conversation.
    private static string Text(string user = "Sveriges huvudstad?") =>
        Reference.ChatFormatter!.Format([new ChatTurn("system", "Svara kort."), new ChatTurn("user", user)]);

    private static GenerationResult Expected(string prompt, GenerationOptions options) =>
        Reference.Generate([Reference.Tokenize(GenerationInput.FromPrompt(prompt))], options)[0];

    private Task<(int Status, JsonElement Body)> Post(object body) => PostAsync(Http, Json(body), path: "v1/completions");

    [Fact]
    public async Task APromptIsContinuedAsPlainTextWithSixteenTokensUnlessTold()
    {
        string prompt = Text();
        var expected = Expected(prompt, new GenerationOptions { MaxNewTokens = 8 });
        var (status, body) = await Post(new { model = "tiny-chat", prompt, max_tokens = 8, temperature = 0, logit_bias = new { } }); // {}: no bias, taken
        Assert.Equal(200, status);
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        Assert.StartsWith("cmpl-", body.GetProperty("id").GetString());
        Assert.Equal("tiny-chat", body.GetProperty("model").GetString());
        var choice = body.GetProperty("choices").EnumerateArray().Single();
        Assert.Equal(expected.Text, choice.GetProperty("text").GetString());
        Assert.True(expected.Text.Length > 0);
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(Reference.Tokenize(GenerationInput.FromPrompt(prompt)).Length, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(8, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + 8, usage.GetProperty("total_tokens").GetInt32());
        // no max_tokens: OpenAI's 16
        var sixteen = Expected(prompt, new GenerationOptions { MaxNewTokens = 16 });
        (status, body) = await Post(new { prompt, temperature = 0 });
        Assert.Equal(200, status);
        Assert.Equal(sixteen.Ids.Length, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(sixteen.Text, body.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task AListOfPromptsIsOneChoiceEachInOrderSampledWithTheSeed()
    {
        string[] prompts = [Text(), Text("Hej!"), Text("Hvad er klokken?")];
        var options = new GenerationOptions { MaxNewTokens = 10, Temperature = 1.3f, TopP = 0.9f, Seed = 21 };
        var expected = prompts.Select(p => Expected(p, options)).ToArray();
        Assert.NotEqual(expected[0].Text, Expected(prompts[0], options with { Seed = 22 }).Text); // the seed matters here
        var (status, body) = await Post(new { prompt = prompts, max_tokens = 10, temperature = 1.3, top_p = 0.9, seed = 21 });
        Assert.Equal(200, status);
        var choices = body.GetProperty("choices").EnumerateArray().ToArray();
        Assert.Equal([0, 1, 2], choices.Select(c => c.GetProperty("index").GetInt32()));
        Assert.Equal(expected.Select(e => e.Text), choices.Select(c => c.GetProperty("text").GetString()));
        Assert.Equal(expected.Sum(e => e.Ids.Length), body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(prompts.Sum(p => Reference.Tokenize(GenerationInput.FromPrompt(p)).Length),
            body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task AStreamIsTextCompletionEventsPerChoiceCutBeforeTheStopWithUsageLast()
    {
        string[] prompts = [Text(), Text("Hvad er klokken?")];
        var free = Expected(prompts[0], new GenerationOptions { MaxNewTokens = 24, Temperature = 1.5f, Seed = 11 }).Text;
        // a two-character stop first met at character 6 or later of the first prompt's free text
        int from = Enumerable.Range(6, free.Length - 8).First(i => free.IndexOf(free.Substring(i, 2), StringComparison.Ordinal) == i);
        string stop = free.Substring(from, 2);
        var stopping = new GenerationOptions { MaxNewTokens = 24, Temperature = 1.5f, Seed = 11, StopStrings = [stop] };
        var expected = prompts.Select(p => Expected(p, stopping)).ToArray();
        Assert.Equal(free[..from], expected[0].Text);
        string json = Json(new
        {
            prompt = prompts, max_tokens = 24, temperature = 1.5, seed = 11, stop, stream = true,
            stream_options = new { include_usage = true },
        });
        using var response = await Http.PostAsync("v1/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToArray();
        Assert.All(chunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        var usageChunk = chunks[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.Equal(expected.Sum(e => e.Ids.Length), usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var choices = chunks[..^1].Select(c => c.GetProperty("choices").EnumerateArray().Single()).ToArray();
        for (int i = 0; i < prompts.Length; i++)
        {
            var mine = choices.Where(c => c.GetProperty("index").GetInt32() == i).ToArray();
            Assert.Equal(expected[i].Text, string.Concat(mine.Select(c => c.GetProperty("text").GetString())));
            var finish = Assert.Single(mine, c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.String);
            Assert.Equal(JsonValueKind.String, mine[^1].GetProperty("finish_reason").ValueKind); // its last event
            Assert.Equal(expected[i].FinishReason == FinishReason.Length ? "length" : "stop", finish.GetProperty("finish_reason").GetString());
        }
        Assert.Equal("stop", choices.Last(c => c.GetProperty("index").GetInt32() == 0).GetProperty("finish_reason").GetString());
    }

    [Theory]
    [InlineData("{\"model\": \"x\"}", "prompt")]
    [InlineData("{\"prompt\": []}", "prompt")]
    [InlineData("{\"prompt\": [1, 2, 3]}", "prompt")]
    [InlineData("{\"prompt\": 5}", "prompt")]
    [InlineData("{\"prompt\": \"x\", \"n\": 2}", "n")]
    [InlineData("{\"prompt\": \"x\", \"logprobs\": 6}", "logprobs")]
    [InlineData("{\"prompt\": \"x\", \"logprobs\": true}", "logprobs")]
    [InlineData("{\"prompt\": \"x\", \"echo\": true}", "echo")]
    [InlineData("{\"prompt\": \"x\", \"suffix\": \"y\"}", "suffix")]
    [InlineData("{\"prompt\": \"x\", \"best_of\": 2}", "best_of")]
    [InlineData("{\"prompt\": \"x\", \"temperature\": 3}", "temperature")]
    [InlineData("{\"prompt\": \"x\", \"max_tokens\": 0}", "max_tokens")]
    [InlineData("{\"prompt\": \"x\", \"stop\": [\"\"]}", "stop")]
    [InlineData("{\"prompt\": \"x\", \"max_tokens\": 100000}", "max_tokens")]
    [InlineData("{\"prompt\": \"x\", \"max_tokens\": 100000, \"stream\": true}", "max_tokens")]
    [InlineData("{\"prompt\": \"x\", \"frequency_penalty\": 0.5}", "frequency_penalty")]
    [InlineData("{\"prompt\": [\"x\", \"y\"], \"presence_penalty\": -1, \"stream\": true}", "presence_penalty")]
    [InlineData("{\"prompt\": \"\"}", "prompt")]
    [InlineData("{\"prompt\": \"x\", \"logit_bias\": {\"7\": -100}}", "logit_bias")]
    [InlineData("{\"prompt\": \"x\", \"logit_bias\": [1]}", "logit_bias")]
    public async Task ABadRequestIsAnOpenAi400NamingTheField(string json, string param)
    {
        var (status, body) = await PostAsync(Http, json, path: "v1/completions");
        Assert.Equal(400, status);
        Assert.Equal(param, Error(body).GetProperty("param").GetString());
    }

    [Fact]
    public async Task APromptOfAListTooLongForTheContextIsNamedAndNothingIsAnswered()
    {
        string tooLong = string.Join(" ", Enumerable.Repeat("hovedstad", Reference.Context));
        foreach (bool stream in new[] { false, true })
        {
            var (status, body) = await Post(new { prompt = new[] { Text(), tooLong }, max_tokens = 4, stream });
            Assert.Equal(400, status);
            Assert.StartsWith("prompt[1]: ", Error(body).GetProperty("message").GetString());
        }
        using var get = await Http.GetAsync("v1/completions");
        Assert.Equal(405, (int)get.StatusCode);
        Assert.Equal("POST", get.Content.Headers.Allow.Single());
    }

    [Fact]
    public async Task TooManyNewTokensForOnePromptOfAListNameThatPromptAndMaxTokens()
    {
        // the first prompt, shorter, takes max_tokens; the second leaves one column fewer than it asks for
        string fits = "Oslo", tooLong = Text();
        int shorter = Reference.Tokenize(GenerationInput.FromPrompt(fits)).Length, longer = Reference.Tokenize(GenerationInput.FromPrompt(tooLong)).Length;
        Assert.True(shorter < longer, $"{shorter} and {longer} prompt tokens");
        int max = Reference.Context - longer + 1;
        foreach (bool stream in new[] { false, true })
        {
            var (status, body) = await Post(new { prompt = new[] { fits, tooLong }, max_tokens = max, stream });
            Assert.Equal(400, status);
            Assert.Equal("max_tokens", Error(body).GetProperty("param").GetString());
            Assert.StartsWith($"prompt[1]: max_tokens {max}: {longer} prompt tokens", Error(body).GetProperty("message").GetString());
        }
    }

    [Theory]
    [InlineData("frequency_penalty", 0.5)]
    [InlineData("presence_penalty", -1.0)]
    public async Task AnOptionRefusedForEveryPromptOfAListIsRefusedAsForOnePrompt(string field, double value)
    {
        foreach (bool stream in new[] { false, true })
        {
            var (oneStatus, one) = await PostAsync(Http, $"{{\"prompt\": \"Oslo\", \"{field}\": {value}, \"stream\": {(stream ? "true" : "false")}}}",
                path: "v1/completions");
            var (status, several) = await PostAsync(Http, $"{{\"prompt\": [\"Oslo\", \"Bergen\"], \"{field}\": {value}, \"stream\": {(stream ? "true" : "false")}}}",
                path: "v1/completions");
            Assert.Equal(400, oneStatus);
            Assert.Equal(400, status);
            Assert.Equal(field, Error(several).GetProperty("param").GetString());
            Assert.Equal(Error(one).GetProperty("message").GetString(), Error(several).GetProperty("message").GetString()); // no "prompt[0]: "
        }
    }

    [Fact]
    public async Task APromptOfAListWithoutTokensIsNamed()
    {
        var (status, body) = await Post(new { prompt = new[] { "Oslo", "" }, max_tokens = 1 });
        Assert.Equal(400, status);
        Assert.Equal("prompt", Error(body).GetProperty("param").GetString());
        Assert.StartsWith("prompt[1]: the prompt has no tokens", Error(body).GetProperty("message").GetString());
    }

    [Fact]
    public async Task MorePromptsThanTheQueueEverHoldsAreA400NotARetryLater503()
    {
        var chat = new ChatService(new SkaldChatClient(TextGenerator.Load(ChatFolder), "tiny-chat") { MaxQueue = 2 }, "tiny-chat");
        await using var small = await EmbeddingServer.StartLiveAsync(null, null, null, chat, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = small.Address, Timeout = TimeSpan.FromSeconds(60) };
        foreach (bool stream in new[] { false, true })
        {
            var (status, body) = await PostAsync(client, Json(new { prompt = new[] { "a", "b", "c" }, max_tokens = 1, stream }),
                path: "v1/completions");
            Assert.Equal(400, status);
            Assert.Equal("prompt", Error(body).GetProperty("param").GetString());
            Assert.Contains("3 prompts", Error(body).GetProperty("message").GetString());
        }
        var (ok, _) = await PostAsync(client, Json(new { prompt = new[] { "a", "b" }, max_tokens = 1 }), path: "v1/completions");
        Assert.Equal(200, ok); // as many as it queues are answered
    }
}
