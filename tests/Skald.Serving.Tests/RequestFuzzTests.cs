using System.Text;
using System.Text.Json;

namespace Skald.Serving.Tests;

/// <summary>
/// Random bad requests against every endpoint of one server (deterministic seed, a fixed count, four clients at once):
/// valid bodies with fields replaced by wrong types, out-of-range numbers, escaped lone surrogates, NUL, empty and
/// huge values, deep nesting, fields removed, bodies cut short or with a byte changed, and wrong API keys. Each answer
/// is a 200 or a 4xx carrying OpenAI's error object (one line, no stack trace), never a 5xx; afterwards every queue's
/// pending count is back to 0 and each endpoint still answers a plain request.
/// </summary>
public sealed class RequestFuzzTests(FullServer server) : IClassFixture<FullServer>
{
    private const int Requests = 600;

    // each endpoint's valid body, field by field (raw JSON)
    private static readonly (string Path, (string Name, string Value)[] Fields)[] Bases =
    [
        ("v1/embeddings", [("input", "[\"Hei på deg\", \"Fjorden ligg stille.\"]"), ("model", "\"m\""), ("encoding_format", "\"float\""),
            ("dimensions", "16"), ("input_type", "\"query\""), ("output_dtype", "\"float\""), ("user", "\"u\"")]),
        ("v1/search", [("query", "\"Hvor kan jeg parkere sykkelen?\""), ("top_k", "3"), ("mode", "\"hybrid\""), ("fusion", "\"convex\""),
            ("alpha", "0.5"), ("normalization", "\"zscore\""), ("candidates", "20"), ("rerank", "true"),
            ("rerank_candidates", "5"), ("rescore_multiplier", "2"), ("probes", "2"), ("ef", "16"), ("source", "\"*\""),
            ("where", "{\"lang\": \"nb\"}")]),
        ("v1/rerank", [("query", "\"Kva tid går ferja?\""), ("documents", "[\"Ferja går kvar time.\", {\"text\": \"Fjorden ligg stille.\"}]"),
            ("top_n", "1"), ("return_documents", "true"), ("model", "\"r\"")]),
        ("v1/chat/completions", [("messages", "[{\"role\": \"system\", \"content\": \"Svar kort.\"}, {\"role\": \"user\", \"content\": \"Hei!\"}]"),
            ("max_tokens", "3"), ("temperature", "0.7"), ("top_p", "0.9"), ("top_k", "5"), ("seed", "7"), ("stop", "[\"\\n\\n\"]"),
            ("n", "1"), ("stream", "false"), ("stream_options", "{\"include_usage\": true}"), ("logprobs", "true"), ("top_logprobs", "2"),
            ("repetition_penalty", "1.1"), ("response_format", "{\"type\": \"text\"}"),
            ("model", "\"tiny-chat\"")]),
        ("v1/completions", [("prompt", "[\"Det var en gang\", \"Fjorden\"]"), ("max_tokens", "3"), ("logprobs", "2"), ("echo", "false"),
            ("best_of", "1"), ("stream", "false"), ("temperature", "0"), ("stop", "\".\""), ("seed", "1"), ("suffix", "\"\"")]),
    ];

    // values any field may be given instead of its own
    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-1", "1", "-0.0", "1.5", "2", "5", "20", "1e-30", "2147483647", "-9223372036854775808", "2147483648", "-2147483649", "1e400", "-1e400", "1e-400",
        "99999999999999999999999", "\"\"", "\" \"", "\"\\u0000\"", "\"\\ud800\"", "\"a\\udfff\\ud800b\"", "\"\\ud83d\\ude00 æøå\"", "\"x\"", "\"\\n\"", "[\"å\", \"\\u0000\"]",
        "[]", "[[]]", "[1, 2]", "[-1]", "[2147483647]", "[\"a\"]", "[\"\"]", "[null]", "[\"\\u0000\"]", "[\"\\udc00\"]", "{}", "{\"a\": 1}",
        "{\"text\": 5}", "[[[[[[[[[[1]]]]]]]]]]", "[[[[[1]]]]]", "{\"a\": {\"b\": {\"c\": {\"d\": {\"e\": 1}}}}}",
        "\"" + new string('å', 5000) + "\"", "[" + string.Join(", ", Enumerable.Repeat("\"ord ord\"", 1000)) + "]",
        "[" + string.Join(", ", Enumerable.Range(0, 3000)) + "]", "[[0, 1], [999999999]]", "[[" + string.Join(", ", Enumerable.Repeat("5", 400)) + "]]",
        "[{\"role\": \"user\"}]", "[{\"role\": \"user\", \"content\": [{\"type\": \"text\"}]}]", "[{\"role\": \"tool\", \"content\": \"x\"}]",
        "[{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"1\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{\"}}]}]",
        "[{\"role\": \"assistant\", \"content\": \"\"}]", "[{\"role\": \"user\", \"content\": \"\\u0000\"}]", "[{\"role\": \"wizard\", \"content\": \"x\"}]",
        "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"s\", \"schema\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}}}}}",
        "{\"type\": \"json_object\"}", "{\"type\": \"json_schema\"}", "{\"gt\": \"x\"}", "{\"year\": {\"gte\": 2020}}", "{\"year\": {\"zz\": 1}}",
        "[{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}}}}}]",
        "\"required\"", "\"auto\"", "{\"type\": \"function\", \"function\": {\"name\": \"nope\"}}",
    ];

    // fields any endpoint may be given on top
    private static readonly string[] Extras = ["tools", "tool_choice", "logit_bias", "max_completion_tokens", "truncate", "max_active_dims", "k",
        "frequency_penalty", "presence_penalty"];

    [Fact]
    public async Task NoRequestGetsA5xxAndTheQueuesEmptyAfterwards()
    {
        var random = new Random(20261205);
        var requests = Enumerable.Range(0, Requests).Select(_ => Make(random)).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        int next = -1;
        async Task Client()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests.Length)
            {
                if (await Check(requests[i]) is { } failure) failures.Add(failure);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(Client)));
        Assert.True(failures.IsEmpty, $"{failures.Count} of {Requests} requests failed:\n" + string.Join("\n", failures.Take(20)));

        Assert.Equal(0, await server.MetricAsync("skald_pending_inputs"));
        Assert.Equal(0, await server.MetricAsync("skald_queue_inputs"));
        Assert.Equal(0, await server.MetricAsync("skald_rerank_requests"));
        Assert.Equal(0, server.Chat.Pending);
        foreach (var (path, fields) in Bases)
        {
            string body = "{" + string.Join(", ", fields.Select(f => $"\"{f.Name}\": {f.Value}")) + "}";
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new("Bearer", FullServer.Key);
            using var response = await server.Client.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private sealed record Request(string Path, byte[] Body, string? Key);

    private static Request Make(Random random)
    {
        var (path, fields) = Bases[random.Next(Bases.Length)];
        var body = fields.ToList();
        int changes = 1 + random.Next(3);
        for (int c = 0; c < changes; c++)
        {
            int roll = random.Next(10);
            if (roll < 6) // a field's value replaced
            {
                int at = random.Next(body.Count);
                body[at] = (body[at].Name, Values[random.Next(Values.Length)]);
            }
            else if (roll < 8 && body.Count > 0) body.RemoveAt(random.Next(body.Count));
            else body.Add((Extras[random.Next(Extras.Length)], Values[random.Next(Values.Length)]));
        }
        byte[] bytes = Encoding.UTF8.GetBytes("{" + string.Join(", ", body.Select(f => $"\"{f.Name}\": {f.Value}")) + "}");
        int damage = random.Next(20);
        if (damage == 0) bytes = bytes[..random.Next(bytes.Length)]; // cut short
        else if (damage == 1) bytes[random.Next(bytes.Length)] = (byte)random.Next(256); // one byte changed (maybe not UTF-8)
        else if (damage == 2) bytes = Encoding.UTF8.GetBytes(new[] { "[]", "\"x\"", "null", "1", "", "[" + new string('[', 200) }[random.Next(6)]);
        string? key = random.Next(25) switch { 0 => null, 1 => "wrong", _ => FullServer.Key };
        return new Request(path, bytes, key);
    }

    // null when the answer is as it should be, else what was wrong (with the request, to reproduce it)
    private async Task<string?> Check(Request request)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, request.Path) { Content = new ByteArrayContent(request.Body) };
        message.Content.Headers.ContentType = new("application/json");
        message.Headers.Authorization = request.Key is null ? null : new("Bearer", request.Key);
        using var response = await server.Client.SendAsync(message);
        string text = await response.Content.ReadAsStringAsync();
        int status = (int)response.StatusCode;
        string sent = Encoding.UTF8.GetString(request.Body);
        string what = $"{request.Path} key={request.Key ?? "none"} {sent[..Math.Min(sent.Length, 400)]}\n  -> {status} {text[..Math.Min(text.Length, 300)]}";
        if (status == 200) return null;
        if (status is < 400 or >= 500) return what;
        if (request.Key != FullServer.Key && status != 401) return what;
        try
        {
            var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
            string? line = error.GetProperty("message").GetString();
            if (string.IsNullOrEmpty(line) || line.Contains('\n') || line.Contains("   at ")) return what;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return what;
        }
        return null;
    }
}
