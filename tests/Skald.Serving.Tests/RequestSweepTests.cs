using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Skald.Serving.Tests;

/// <summary>
/// A named sweep of adversarial requests against every endpoint of one server (<see cref="FullServer"/>): each case is
/// a body with its expected status and the field its error must name (OpenAI's error object, one line, no stack trace),
/// and after each the server still answers <c>/health</c>. Where <see cref="RequestFuzzTests"/> throws random damage at
/// the readers, these are the edges one by one (wrong JSON types for each field, huge and negative counts, floats where
/// integers go, NaN / Infinity literals, lone surrogates, 100k-item arrays, duplicate keys), so a regression names its
/// case; and a client that hangs up mid-stream or mid-body leaves no request queued or running.
/// </summary>
public sealed class RequestSweepTests(FullServer server) : IClassFixture<FullServer>
{
    private const string Messages = "\"messages\": [{\"role\": \"user\", \"content\": \"Hei\"}], \"max_tokens\": 2";

    private static string Many(string item, int count) => "[" + string.Join(",", Enumerable.Repeat(item, count)) + "]";

    // (path, body, status, the param the error names: null for a 200 or an error naming no field)
    public static TheoryData<string, string, int, string?> Cases => new()
    {
        // the body itself
        { "v1/embeddings", "{\"input\": NaN}", 400, null },
        { "v1/search", "{\"query\": \"sykkel\", \"alpha\": Infinity}", 400, null },
        { "v1/embeddings", "{\"input\": \"a\\ud800\"}", 400, "input" },
        { "v1/chat/completions", "{" + Messages + ", \"stop\": \"\\udfff\"}", 400, "stop" },
        { "v1/embeddings", "{\"input\": \"a\", \"input\": 5}", 400, "input" }, // a duplicate key: the last one counts
        { "v1/embeddings", "{\"input\": \"a\", \"x\": {\"y\": [null, {}]}, \"user\": 7}", 200, null }, // unknown fields are ignored
        // embeddings
        { "v1/embeddings", "{\"input\": " + Many("\"a\"", 100_000) + "}", 400, "input" },
        { "v1/embeddings", "{\"input\": " + Many("5", 100_000) + "}", 400, "input" }, // one token-id input over max_seq_length
        { "v1/embeddings", "{\"input\": [[2147483647]]}", 400, "input" },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": 2.0}", 400, "dimensions" },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": 1e400}", 400, "dimensions" },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": 100000}", 400, "dimensions" },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": -1, \"encoding_format\": \"base64\"}", 400, "dimensions" },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": 1, \"encoding_format\": \"base64\"}", 200, null },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": 3, \"output_dtype\": \"binary\"}", 400, "output_dtype" },
        { "v1/embeddings", "{\"input\": \"a\", \"encoding_format\": [\"base64\"]}", 400, "encoding_format" },
        { "v1/embeddings", "{\"input\": \"a\", \"encoding_format\": \"hex\"}", 400, "encoding_format" },
        { "v1/embeddings", "{\"input\": \"a\", \"encoding_format\": \"\"}", 400, "encoding_format" },
        { "v1/embeddings", "{\"input\": \"a\", \"encoding_format\": null}", 200, null },
        { "v1/embeddings", "{\"input\": \"a\", \"encoding_format\": \"sparse\"}", 400, "encoding_format" }, // a dense model
        { "v1/embeddings", "{\"input\": \"a\", \"output_dtype\": \"int8\"}", 400, "output_dtype" }, // no --ranges
        { "v1/embeddings", "{\"input\": \"a\", \"max_active_dims\": 4}", 400, "max_active_dims" },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": 0}", 400, "dimensions" },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": -8}", 400, "dimensions" },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": 2.5}", 400, "dimensions" },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": \"8\"}", 400, "dimensions" },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": true}", 400, "dimensions" },
        { "v1/embeddings", "{\"input\": \"a\", \"dimensions\": [8]}", 400, "dimensions" },
        { "v1/embeddings", "{\"input\": \"\"}", 400, "input" },
        { "v1/embeddings", "{\"input\": [\"\"]}", 400, "input" },
        { "v1/embeddings", "{\"input\": [\"a\", \"\"]}", 400, "input" },
        { "v1/embeddings", "{\"input\": [[]]}", 400, "input" },
        { "v1/embeddings", "{\"input\": [null]}", 400, "input" },
        { "v1/embeddings", "{\"input\": null}", 400, "input" },
        { "v1/embeddings", "{\"input\": [1, \"a\"]}", 400, "input" },
        { "v1/embeddings", "{\"input\": [[1, 2], \"a\"]}", 400, "input" },
        { "v1/embeddings", "{\"input\": [[-1]]}", 400, "input" },
        { "v1/embeddings", "{\"input\": {\"text\": \"a\"}}", 400, "input" },
        { "v1/embeddings", "{\"input\": " + Many("[1]", 100_000) + "}", 400, "input" },
        { "v1/embeddings", "{}", 400, "input" },
        { "v1/embeddings", "null", 400, null },
        { "v1/embeddings", "[]", 400, null },
        { "v1/embeddings", "\"input\"", 400, null },
        { "v1/embeddings", "42", 400, null },
        { "v1/embeddings", "", 400, null },
        { "v1/embeddings", "{\"input\": \"a\"} {}", 400, null },
        // search
        { "v1/search", "{\"query\": \"sykkel\", \"top_k\": 0}", 400, "top_k" },
        { "v1/search", "{\"query\": \"sykkel\", \"top_k\": -5}", 400, "top_k" },
        { "v1/search", "{\"query\": \"sykkel\", \"top_k\": 1000000000000}", 400, "top_k" },
        { "v1/search", "{\"query\": \"sykkel\", \"k\": 99999}", 400, "top_k" },
        { "v1/search", "{\"query\": \"sykkel\", \"top_k\": \"3\"}", 400, "top_k" },
        { "v1/search", "{\"query\": \"sykkel\", \"top_k\": 2.5}", 400, "top_k" },
        { "v1/search", "{\"query\": \"sykkel\", \"top_k\": true}", 400, "top_k" },
        { "v1/search", "{\"query\": \"sykkel\", \"top_k\": [3]}", 400, "top_k" },
        { "v1/search", "{\"query\": \"sykkel\", \"top_k\": 1001}", 400, "top_k" },
        { "v1/search", "{\"query\": \"sykkel\", \"top_k\": null}", 200, null },
        { "v1/search", "{\"query\": \"\"}", 400, "query" },
        { "v1/search", "{\"query\": [\"sykkel\"]}", 400, "query" },
        { "v1/search", "{}", 400, "query" },
        { "v1/search", "[]", 400, null },
        { "v1/search", "{\"query\": \"sykkel\", \"alpha\": 1e400}", 400, "alpha" },
        { "v1/search", "{\"query\": \"sykkel\", \"rescore_multiplier\": 2147483647}", 400, "rescore_multiplier" },
        { "v1/search", "{\"query\": \"sykkel\", \"rrf_k\": 2147483647, \"fusion\": \"rrf\"}", 200, null },
        { "v1/search", "{\"query\": \"sykkel\", \"fusion\": \"convex\", \"alpha\": 0.5, \"normalization\": \"minmax\", \"candidates\": 20}", 200, null },
        { "v1/search", "{\"query\": \"sykkel\", \"fusion\": \"rerank\", \"candidates\": 20}", 200, null },
        { "v1/search", "{\"query\": \"sykkel\", \"where\": {\"year\": {\"gte\": 1e400}}}", 200, null },
        { "v1/search", "{\"query\": \"" + string.Concat(Enumerable.Repeat("ord ", 100_000)) + "\"}", 200, null }, // a query is truncated, as skald search does
        // rerank
        { "v1/rerank", "{\"query\": \"ferje\", \"documents\": []}", 400, "documents" },
        { "v1/rerank", "{\"query\": \"ferje\", \"documents\": [\"\", \" \"]}", 200, null },
        { "v1/rerank", "{\"query\": \"ferje\", \"documents\": " + Many("\"x\"", 100_000) + "}", 400, "documents" },
        { "v1/rerank", "{\"query\": \"ferje\", \"documents\": [{\"text\": null}]}", 400, "documents" },
        { "v1/rerank", "{\"query\": \"ferje\", \"documents\": [\"a\"], \"top_n\": 0}", 400, "top_n" },
        { "v1/rerank", "{\"query\": \"ferje\", \"documents\": [\"a\"], \"top_n\": 99999999}", 200, null },
        // chat
        { "v1/chat/completions", "{" + Messages + ", \"n\": 2}", 400, "n" },
        { "v1/chat/completions", "{" + Messages + ", \"n\": 0}", 400, "n" },
        { "v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hei\"}], \"max_tokens\": 2147483647}", 400, "max_tokens" },
        { "v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hei\"}], \"max_tokens\": \"2\"}", 400, "max_tokens" },
        { "v1/chat/completions", "{" + Messages + ", \"logprobs\": true, \"top_logprobs\": 21}", 400, "top_logprobs" },
        { "v1/chat/completions", "{" + Messages + ", \"logprobs\": true, \"top_logprobs\": 20}", 200, null },
        { "v1/chat/completions", "{" + Messages + ", \"top_logprobs\": 2}", 400, "top_logprobs" },
        { "v1/chat/completions", "{" + Messages + ", \"stop\": " + Many("\"a\"", 17) + "}", 400, "stop" },
        { "v1/chat/completions", "{" + Messages + ", \"stop\": [\"\"]}", 400, "stop" },
        { "v1/chat/completions", "{" + Messages + ", \"logit_bias\": {\"1\": 100}}", 400, "logit_bias" },
        { "v1/chat/completions", "{" + Messages + ", \"logit_bias\": {}}", 200, null },
        { "v1/chat/completions", "{" + Messages + ", \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"x\", \"schema\": {\"$ref\": \"#\"}}}}", 400, "response_format" },
        { "v1/chat/completions", "{" + Messages + ", \"response_format\": \"json\"}", 400, "response_format" },
        { "v1/chat/completions", "{" + Messages + ", \"tools\": [], \"tool_choice\": \"required\"}", 400, "tool_choice" },
        { "v1/chat/completions", "{" + Messages + ", \"tools\": {\"type\": \"function\"}}", 400, "tools" },
        { "v1/chat/completions", "{" + Messages + ", \"temperature\": \"0.5\"}", 400, "temperature" },
        { "v1/chat/completions", "{\"messages\": " + Many("{\"role\": \"user\", \"content\": \"a\"}", 20_000) + ", \"max_tokens\": 2}", 400, "messages" },
        { "v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}", 400, "messages" },
        // completions
        { "v1/completions", "{\"prompt\": \"Det var\", \"max_tokens\": 2, \"logprobs\": 6}", 400, "logprobs" },
        { "v1/completions", "{\"prompt\": \"Det var\", \"max_tokens\": 2, \"logprobs\": true}", 400, "logprobs" },
        { "v1/completions", "{\"prompt\": \"Det var\", \"max_tokens\": 0}", 400, "max_tokens" },
        { "v1/completions", "{\"prompt\": " + Many("\"a\"", 100_000) + "}", 400, "prompt" },
        { "v1/completions", "{\"prompt\": [1, 2, 3]}", 400, "prompt" },
        { "v1/completions", "{\"prompt\": \"\"}", 400, "prompt" },
        { "v1/completions", "{\"prompt\": \"Det var\", \"max_tokens\": 2, \"best_of\": 2}", 400, "best_of" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EachEdgeGetsItsAnswerAndTheServerGoesOn(string path, string body, int status, string? param)
    {
        var (got, text) = await PostAsync(path, body);
        Assert.True(got == status, $"{path} {body[..Math.Min(body.Length, 200)]}\n  -> {got} {text[..Math.Min(text.Length, 300)]}");
        if (status != 200)
        {
            var error = ServerFixture.Error(JsonDocument.Parse(text).RootElement);
            Assert.DoesNotContain("\n", error.GetProperty("message").GetString()!, StringComparison.Ordinal);
            Assert.Equal(param, error.GetProperty("param").GetString());
            string? code = error.GetProperty("code").GetString();
            Assert.True(code is not null && ReadmeErrorCodes.All.Contains(code), $"{path} {body[..Math.Min(body.Length, 200)]}\n  -> {status} with code '{code}'");
        }
        using var health = await server.Client.GetAsync("health");
        Assert.Equal(200, (int)health.StatusCode);
    }

    // A request past the model's context is OpenAI's "context_length_exceeded" on every endpoint, the code set where the
    // refusal is raised (the chat client's PromptRefusedException.ExceedsContext; the embeddings reader's input check),
    // never read from its message; a prompt of no tokens, refused for another reason, stays "invalid_value".
    [Theory]
    [InlineData("v1/embeddings", "{\"input\": \"LONG\"}", "input", "context_length_exceeded")]
    [InlineData("v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hei\"}], \"max_tokens\": 2147483647}", "max_tokens", "context_length_exceeded")]
    [InlineData("v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"LONG\"}], \"max_tokens\": 2}", "messages", "context_length_exceeded")]
    [InlineData("v1/completions", "{\"prompt\": [\"Det var\", \"LONG\"], \"max_tokens\": 2}", "prompt", "context_length_exceeded")]
    [InlineData("v1/completions", "{\"prompt\": \"Det var\", \"max_tokens\": 100000}", "max_tokens", "context_length_exceeded")]
    [InlineData("v1/completions", "{\"prompt\": \"\"}", "prompt", "invalid_value")]
    public async Task ARequestPastTheContextSaysSo(string path, string body, string param, string code)
    {
        var (status, text) = await PostAsync(path, body.Replace("LONG", string.Concat(Enumerable.Repeat("ord ", 20_000)), StringComparison.Ordinal));
        Assert.True(status == 400, text);
        var error = ServerFixture.Error(JsonDocument.Parse(text).RootElement);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hei\"}], \"max_tokens\": 40, \"stream\": true, \"logprobs\": true, \"top_logprobs\": 3}")]
    [InlineData("v1/completions", "{\"prompt\": [\"Det var\", \"en gang\", \"Fjorden\"], \"max_tokens\": 40, \"stream\": true, \"logprobs\": 3}")]
    [InlineData("v1/completions", "{\"prompt\": [\"Det var\", \"en gang\"], \"max_tokens\": 40}")]
    [InlineData("v1/rerank", "{\"query\": \"ferje\", \"documents\": [\"Ferja går kvar time.\", \"Fjorden ligg stille.\"]}")]
    public async Task AClientThatHangsUpMidAnswerOrMidBodyLeavesNothingQueued(string path, string body)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        string head = $"POST /{path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {FullServer.Key}\r\nContent-Type: application/json\r\n";
        for (int i = 0; i < 3; i++)
        {
            using (var client = new TcpClient()) // the whole body, then gone after the answer's first bytes
            {
                await client.ConnectAsync(server.Server.Address.Host, server.Server.Address.Port);
                var stream = client.GetStream();
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head + $"Content-Length: {bytes.Length}\r\n\r\n").Concat(bytes).ToArray());
                _ = await stream.ReadAsync(new byte[64]).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            }
            using (var client = new TcpClient()) // half the body, then gone
            {
                await client.ConnectAsync(server.Server.Address.Host, server.Server.Address.Port);
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head + $"Content-Length: {bytes.Length}\r\n\r\n").Concat(bytes[..(bytes.Length / 2)]).ToArray());
            }
        }
        // the server notices each client gone as its next write or read fails: wait for the queues to empty
        for (int i = 0; i < 1200 && (server.Chat.Pending != 0 || server.Rerank.Pending != 0 || await server.MetricAsync("skald_chat_requests_running") != 0); i++)
            await Task.Delay(100);
        Assert.Equal(0, server.Chat.Pending);
        Assert.Equal(0, server.Rerank.Pending);
        Assert.Equal(0, await server.MetricAsync("skald_chat_requests_running"));
        var (status, text) = await PostAsync(path, body);
        Assert.True(status == 200, text);
    }

    private async Task<(int Status, string Text)> PostAsync(string path, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", FullServer.Key);
        using var response = await server.Client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
