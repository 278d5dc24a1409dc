using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Skald.Tests;

/// <summary>
/// A local stand-in for an OpenAI-compatible chat-completions API, on 127.0.0.1 only (HttpListener): each request's
/// passage (the text after "Tekst:"/"Text:" in the user message) is recorded, and the answer is chosen by a script from
/// the passage and how often it was asked: good numbered lists wrapped in chatter, 429 with Retry-After, 500, a slow
/// reply (never answered), garbage, a completion without choices, a refused key, or an unknown model. Good answers are deterministic per passage, in the prompt's language.
/// </summary>
internal sealed class FakeChatServer : LocalHttpServer
{
    /// <summary>What to answer.</summary>
    public enum Reply { Good, Chatter, TooMany, ServerError, Slow, Garbage, NotFound, NoChoices, Refused, Unauthorized, UnknownModel }

    private readonly Func<string, int, Reply> script;
    private readonly ConcurrentDictionary<string, int> asked = new(StringComparer.Ordinal);
    private readonly Func<string, string>? answer;

    /// <summary>A server answering by <paramref name="script"/>; a good answer is <paramref name="answer"/>(passage) when given, else numbered questions.</summary>
    public FakeChatServer(Func<string, int, Reply> script, int replyDelayMs = 0, Func<string, string>? answer = null)
    {
        this.script = script;
        this.answer = answer;
        ReplyDelayMs = replyDelayMs;
    }

    /// <summary>Base URL to give the client.</summary>
    public string Url => Endpoint + "/v1";

    /// <summary>Delay before every good answer.</summary>
    public int ReplyDelayMs { get; set; }

    /// <summary>Called with each request's number (1 the first) before it is answered, and awaited: a test's hook to hold
    /// replies back (so a run cannot end before the test kills it, say).</summary>
    public Func<int, Task>? Holding { get; set; }

    /// <summary>
    /// Holds every reply from now on until the returned action is called: a test calls it once Ctrl-C is sent
    /// (<see cref="SkaldProcess.RunAndInterrupt(Func{bool}, Action, string[])"/>), so the run cannot end before it.
    /// </summary>
    public Action HoldUntilReleased()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Holding = _ => held.Task;
        return () => held.TrySetResult();
    }

    /// <summary>Every request's passage, in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Every request's whole (system, user) messages, in arrival order.</summary>
    public ConcurrentQueue<(string System, string User)> Prompts { get; } = new();

    /// <summary>The questions a good answer holds for a passage (what the run must end up with).</summary>
    public static string[] Questions(string passage, string language)
    {
        var sentences = passage.Split(". ", StringSplitOptions.RemoveEmptyEntries).Select(s => s.TrimEnd('.')).Take(2).ToArray();
        string lead = language switch { "sv" => "Vad innebär det att", "da" => "Hvad betyder det, at", "nn" => "Kva tyder det at", _ => "Hva betyr det at" };
        return [.. sentences.Select(s => $"{lead} {char.ToLowerInvariant(s[0])}{s[1..]}?")];
    }

    /// <inheritdoc/>
    protected override async Task HandleAsync(HttpListenerContext ctx)
    {
        string body = await new StreamReader(ctx.Request.InputStream, Encoding.UTF8).ReadToEndAsync();
        using var doc = JsonDocument.Parse(body);
        var messages = doc.RootElement.GetProperty("messages");
        string system = messages[0].GetProperty("content").GetString()!, user = messages[1].GetProperty("content").GetString()!;
        int at = user.LastIndexOf(":\n", StringComparison.Ordinal);
        string passage = user[(at + 2)..];
        Requests.Enqueue(passage);
        Prompts.Enqueue((system, user));
        if (Holding is { } hold) await hold(Requests.Count);
        int n = asked.AddOrUpdate(passage, 1, (_, v) => v + 1);
        string language = system.Contains("svenska") ? "sv" : system.Contains("dansk") ? "da" : system.Contains("nynorsk") ? "nn" : "nb";
        var res = ctx.Response;
        switch (script(passage, n))
        {
            case Reply.TooMany:
                await TooManyRequestsAsync(res);
                return;
            case Reply.ServerError:
                await ServerErrorAsync(res);
                return;
            case Reply.NotFound:
                await WriteAsync(res, 404, "<html>no such page</html>");
                return;
            case Reply.Unauthorized: // as OpenAI refuses a wrong key
                await WriteAsync(res, 401, "{\"error\": {\"message\": \"Incorrect API key provided\", \"type\": \"invalid_request_error\", \"code\": \"invalid_api_key\"}}");
                return;
            case Reply.UnknownModel: // as older vLLM answers a model it does not serve (the error's fields at the top)
                await WriteAsync(res, 404, "{\"object\": \"error\", \"message\": \"The model `fake` does not exist.\", \"type\": \"NotFoundError\", \"param\": null, \"code\": 404}");
                return;
            case Reply.Refused: // as OpenAI, vLLM and skald serve refuse a prompt over the model's context
                await WriteAsync(res, 400, "{\"error\": {\"message\": \"the conversation is 300 tokens;\\nthis model's context is 128\", \"type\": \"invalid_request_error\", \"param\": \"messages\", \"code\": null}}");
                return;
            case Reply.Garbage:
                res.StatusCode = 200;
                res.ContentType = "application/json";
                await WriteAsync(res, "<html>this is not json</html>");
                return;
            case Reply.NoChoices:
                res.StatusCode = 200;
                res.ContentType = "application/json";
                await WriteAsync(res, """{"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "fake", "choices": []}""");
                return;
            case Reply.Slow: // never answered: the client's timeout ends the attempt, however slow the machine
                await Task.Delay(Timeout.Infinite, Stopping);
                return;
        }
        if (ReplyDelayMs > 0) await Task.Delay(ReplyDelayMs);
        var qs = Questions(passage, language);
        string content = answer is not null ? answer(passage)
            : script(passage, 0) == Reply.Chatter
            ? "Selvsagt! Her er spørsmålene:\n\n" + string.Concat(qs.Select((q, i) => $"**{i + 1})** \"{q}\"\n")) + "\nHåper dette hjelper!"
            : string.Concat(qs.Select((q, i) => $"{i + 1}. {q}\n"));
        res.StatusCode = 200;
        res.ContentType = "application/json";
        await WriteAsync(res, JsonSerializer.Serialize(new
        {
            id = "chatcmpl-1", @object = "chat.completion", created = 1700000000, model = "fake",
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 1, completion_tokens = 1, total_tokens = 2 },
        }));
    }
}
