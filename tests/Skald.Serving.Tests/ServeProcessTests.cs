using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>The real <c>skald serve</c> process: starts, answers, stops cleanly on SIGINT and SIGTERM; refuses bad starts in one line.</summary>
public sealed partial class ServeProcessTests
{
    [DllImport("libc", SetLastError = true)]
    internal static extern int kill(int pid, int signal);

    [SigintFact]
    public Task ServesAndStopsOnSigint() => ServesAndStopsOn(2); // SIGINT, as Ctrl+C sends

    [Fact]
    public Task ServesAndStopsOnSigterm() => ServesAndStopsOn(15); // SIGTERM, as systemd, Docker and Kubernetes send

    private static async Task ServesAndStopsOn(int signal)
    {
        var psi = SkaldProcess.StartInfo(null, "serve", "--model", ModelDir, "--port", "0", "--model-name", "nb-test");
        using var process = Process.Start(psi)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            string? line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.NotNull(line);
            var match = Address().Match(line);
            Assert.True(match.Success, line);
            using var client = new HttpClient { BaseAddress = new Uri(match.Value), Timeout = TimeSpan.FromSeconds(30) };
            var health = JsonDocument.Parse(await client.GetStringAsync("health")).RootElement;
            Assert.Equal("ok", health.GetProperty("status").GetString());
            var (status, body) = await PostAsync(client, Json(new { input = Texts[..3], model = "nb-test" }));
            Assert.Equal(200, status);
            Assert.Equal(3, Embeddings(body, "nb-test").Length);

            await StopsCleanlyOn(process, signal, stdout, TimeSpan.FromSeconds(90)); // generous: CI runs the test projects side by side on 2 cores
        }
        finally
        {
            if (!process.HasExited) process.Kill(true);
        }
    }

    [Fact]
    public async Task SigtermLetsARequestInFlightFinishRefusesNewOnesAndExitsZero()
    {
        // What ops expect of a rolling restart: a request under way when SIGTERM comes (here its body is still arriving)
        // is answered, new connections are refused once the shutdown delay (none by default) is over, and the process then exits 0.
        var psi = SkaldProcess.StartInfo(null, "serve", "--model", ModelDir, "--port", "0");
        using var process = Process.Start(psi)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            string? line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.NotNull(line);
            var match = Address().Match(line);
            Assert.True(match.Success, line);
            var address = new Uri(match.Value);
            byte[] body = System.Text.Encoding.UTF8.GetBytes(Json(new { input = Texts[..2], model = "m" }));
            using var inFlight = new System.Net.Sockets.TcpClient();
            await inFlight.ConnectAsync(address.Host, address.Port);
            var stream = inFlight.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                "POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"));
            using var reader = new StreamReader(stream);
            // the server says 100 Continue when the endpoint first reads the body: the request has begun (an event, not a
            // guess of how long a loaded machine takes to get there)
            Assert.Equal("HTTP/1.1 100 Continue", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(90)));
            Assert.Equal("", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(90)));
            await Chunk(stream, body.AsMemory(0, 1)); // the body is arriving ("{"), and goes on arriving, blanks JSON allows,
            using var refused = new CancellationTokenSource(); // faster than the server's least body rate (240 B/s) however long SIGTERM takes to act
            var arriving = Task.Run(async () =>
            {
                byte[] blanks = [.. Enumerable.Repeat((byte)' ', 4096)];
                while (!refused.IsCancellationRequested)
                {
                    await Chunk(stream, blanks);
                    await Task.Delay(100);
                }
            });

            Assert.Equal(0, kill(process.Id, 15));
            var watch = Stopwatch.StartNew();
            Assert.True(await RefusedWithin(address, watch, TimeSpan.FromSeconds(90)), "the server still took new connections 90 s after SIGTERM");
            Assert.False(process.HasExited); // still draining: the request in flight holds it

            await refused.CancelAsync();
            await arriving;
            await Chunk(stream, body.AsMemory(1));
            await stream.WriteAsync("0\r\n\r\n"u8.ToArray()); // the body's end
            string answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("HTTP/1.1 200 ", answer);
            var got = Embeddings(JsonDocument.Parse(answer[answer.IndexOf('{')..(answer.LastIndexOf('}') + 1)]).RootElement);
            var expected = Skald.Models.SentenceEncoder.Load(ModelDir).Encode(Texts[..2]);
            for (int i = 0; i < 2; i++) AssertClose(expected[i], got[i]);

            Assert.True(process.WaitForExit(90_000), "skald serve did not stop after its last request");
            Assert.Equal(0, process.ExitCode);
            Assert.Equal("", (await stdout).Trim());
        }
        finally
        {
            if (!process.HasExited) process.Kill(true);
        }
    }

    [Fact]
    public void OtherHostsNeedAnApiKey()
    {
        var r = SkaldProcess.Run("serve", "--model", ModelDir, "--host", "0.0.0.0");
        SkaldProcess.AssertUserError(r, 2, "--api-key-env");
        r = SkaldProcess.Run("serve", "--model", ModelDir, "--host", "0.0.0.0", "--api-key-env", "SKALD_TEST_UNSET_KEY_VARIABLE");
        SkaldProcess.AssertUserError(r, 2, "SKALD_TEST_UNSET_KEY_VARIABLE");
        r = SkaldProcess.Run("serve", "--model", ModelDir, "--host", "my-laptop");
        SkaldProcess.AssertUserError(r, 2, "my-laptop");
    }

    [Fact]
    public async Task ABrokenModelOrABusyPortStopsBeforeServing()
    {
        var r = SkaldProcess.Run("serve", "--model", Path.Combine(TestPaths.Fixtures, "models", "no-such-model"), "--port", "0");
        SkaldProcess.AssertUserError(r, 1, "no-such-model");
        await using var busy = await StartAsync(new Skald.Serving.EmbeddingServiceOptions());
        r = SkaldProcess.Run("serve", "--model", ModelDir, "--port", busy.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SkaldProcess.AssertUserError(r, 1, "in use", "--port");
    }

    [Fact]
    public async Task AGeneratorAloneServesChatCompletions()
    {
        string chat = ChatModelFolder.Create("decoder-qwen2");
        var psi = SkaldProcess.StartInfo(null, "serve", "--generator", chat, "--generator-name", "nb-chat", "--port", "0", "--max-tokens", "4",
            "--generator-kv-tokens", "600", "--generator-prefill-chunk", "64");
        using var process = Process.Start(psi)!;
        try
        {
            string? line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.NotNull(line);
            var match = Address().Match(line);
            Assert.True(match.Success, line);
            Assert.Contains("chat completions with nb-chat", line);
            // the chat batches' key/value caches (the batch's and its joining prompts' prefill): --generator-kv-tokens
            // positions of every layer's keys and values, or twice 8 rows (--generator-batch-size) of the model's whole
            // context when that is less
            var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(chat, "config.json"))).RootElement;
            long positions = Math.Min(600, 2 * 8 * config.GetProperty("max_position_embeddings").GetInt32());
            int heads = config.GetProperty("num_attention_heads").GetInt32();
            int kvHeads = config.TryGetProperty("num_key_value_heads", out var kv) ? kv.GetInt32() : heads;
            long bytes = positions * config.GetProperty("num_hidden_layers").GetInt32() * kvHeads
                * (config.GetProperty("hidden_size").GetInt32() / heads) * 2 * 4;
            Assert.Contains($"a key/value cache of {positions} positions, {Math.Ceiling(bytes / 1048576.0)} MB", line);
            Assert.Contains("joining prompts prefilled 64 tokens between steps", line); // --generator-prefill-chunk
            using var client = new HttpClient { BaseAddress = new Uri(match.Value), Timeout = TimeSpan.FromSeconds(30) };
            var (status, body) = await PostAsync(client, Json(new { model = "nb-chat", messages = new[] { new { role = "user", content = "Hei" } }, temperature = 0 }),
                path: "v1/chat/completions");
            Assert.Equal(200, status);
            Assert.Equal("nb-chat", body.GetProperty("model").GetString());
            Assert.InRange(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), 1, 4); // --max-tokens is the default
            (status, _) = await PostAsync(client, Json(new { input = "hei" }));
            Assert.Equal(404, status);
        }
        finally
        {
            if (!process.HasExited) process.Kill(true);
        }
    }

    [Fact]
    public void ANegativePrefillChunkIsNamed() =>
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--generator", ChatModelFolder.Create("decoder-qwen2"), "--port", "0",
            "--generator-prefill-chunk", "-1"), 2, "option --generator-prefill-chunk must be an integer ≥ 0, got '-1'");

    [Fact]
    public async Task AToolCallParserLetsAModelWhoseTemplateTeachesNoFormatTakeTools()
    {
        string chat = ChatModelFolder.Create("decoder-qwen2"); // Qwen2's template: no <tool_call>, so tools are refused by default
        string body = Json(new
        {
            messages = new[] { new { role = "user", content = "Hei" } },
            max_tokens = 3,
            tools = new[] { new { type = "function", function = new { name = "f", parameters = new { type = "object" } } } },
        });
        foreach (var (parser, status) in new[] { ("auto", 400), ("hermes", 200), ("llama3_json", 200), ("mistral", 200), ("mistral_v11", 200) })
        {
            using var process = Process.Start(SkaldProcess.StartInfo(null, "serve", "--generator", chat, "--port", "0", "--tool-call-parser", parser))!;
            try
            {
                string? line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
                Assert.NotNull(line);
                var match = Address().Match(line);
                Assert.True(match.Success, line);
                Assert.Contains($"tool calls: {(parser == "auto" ? "none" : parser)}", line);
                using var client = new HttpClient { BaseAddress = new Uri(match.Value), Timeout = TimeSpan.FromSeconds(30) };
                var (got, answer) = await PostAsync(client, body, path: "v1/chat/completions");
                Assert.Equal(status, got);
                if (status == 400) Assert.Equal("tools", Error(answer).GetProperty("param").GetString());
            }
            finally
            {
                if (!process.HasExited) process.Kill(true);
            }
        }
    }

    [Fact]
    public async Task ASearchOfACutIndexIsLoggedNamingTheFile()
    {
        string folder = SampleDocuments.CopyOfIndex(SkaldProcess.Run, ModelDir, "--language", "nb");
        string rows = Path.Combine(folder, Skald.Retrieval.Index.IndexWriter.EmbeddingsFile);
        long whole = new FileInfo(rows).Length;
        using var process = Process.Start(SkaldProcess.StartInfo(null, "serve", "--model", ModelDir, "--index", folder, "--port", "0"))!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            Match match;
            do
            {
                string? line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
                Assert.NotNull(line);
                match = Address().Match(line);
            }
            while (!match.Success);
            using var client = new HttpClient { BaseAddress = new Uri(match.Value), Timeout = TimeSpan.FromSeconds(30) };
            string query = Json(new { query = "sykkel", mode = "bm25", top_k = 3 });
            Assert.Equal(200, (await PostAsync(client, query, path: "v1/search")).Status);
            using (var other = new FileStream(rows, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) other.SetLength(whole / 2);
            Assert.Equal(503, (await PostAsync(client, query, path: "v1/search")).Status);

            var rest = process.StandardError.ReadToEndAsync();
            Assert.Equal(0, kill(process.Id, 15));
            Assert.True(process.WaitForExit(90_000), "skald serve did not stop on SIGTERM within 90 s");
            string err = await rest;
            Assert.Contains($"skald serve: search: {rows}: cut to {whole / 2} bytes", err); // the operator's log names the file
            Assert.DoesNotContain("   at ", err);
            await stdout;
        }
        finally
        {
            if (!process.HasExited) process.Kill(true);
        }
    }

    [Fact]
    public void ChatAndEmbeddingOptionsNeedTheirModel()
    {
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve"), 2, "--model", "--generator");
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--model", ModelDir, "--generator-adapters", "a"), 2, "--generator-adapters needs --generator");
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--model", ModelDir, "--tool-call-parser", "hermes"), 2, "--tool-call-parser needs --generator");
        string chat = ChatModelFolder.Create("decoder-qwen2");
        SkaldProcess.AssertUserError(SkaldProcess.Run("serve", "--generator", chat, "--index", "idx"), 2, "--index needs --model");
        // a decoder without a chat template cannot answer chat messages: one line naming the folder
        var r = SkaldProcess.Run("serve", "--generator", TestPaths.FixtureModel("decoder-qwen2"), "--port", "0");
        SkaldProcess.AssertUserError(r, 1, "decoder-qwen2", "chat template");
    }

    // One chunk of a chunked request body.
    private static async Task Chunk(Stream stream, ReadOnlyMemory<byte> data)
    {
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"));
        await stream.WriteAsync(data);
        await stream.WriteAsync("\r\n"u8.ToArray());
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to a <c>skald serve</c> <paramref name="process"/> and checks that it stops within
    /// <paramref name="limit"/>, exits 0 and says "stopped", with no stack trace on standard error and nothing on
    /// standard output (<paramref name="stdout"/>, read to its end); the rest of its standard error.
    /// </summary>
    internal static async Task<string> StopsCleanlyOn(Process process, int signal, Task<string> stdout, TimeSpan limit)
    {
        var rest = process.StandardError.ReadToEndAsync();
        Assert.Equal(0, kill(process.Id, signal));
        Assert.True(process.WaitForExit(limit), $"skald serve did not stop on signal {signal} within {limit.TotalSeconds} s");
        Assert.Equal(0, process.ExitCode);
        string err = await rest;
        Assert.Contains("stopped", err);
        Assert.DoesNotContain("   at ", err);
        Assert.Equal("", (await stdout).Trim());
        return err;
    }

    /// <summary>
    /// Asks <c>/health</c> at <paramref name="address"/> until a connection is refused (true) or <paramref name="watch"/>
    /// passes <paramref name="limit"/> (false).
    /// </summary>
    internal static async Task<bool> RefusedWithin(Uri address, Stopwatch watch, TimeSpan limit)
    {
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        while (watch.Elapsed < limit)
        {
            try
            {
                using var late = await client.GetAsync("health");
                await Task.Delay(50);
            }
            catch (HttpRequestException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The address in <c>skald serve</c>'s start-up line.</summary>
    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/")]
    internal static partial Regex Address();
}
