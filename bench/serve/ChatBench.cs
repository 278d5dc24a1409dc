using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Skald.Models.Generation;
using Skald.Serving;
using Skald.Tokenizers.Templates;

/// <summary>
/// Chat completions under concurrent load: C clients each sending R requests (distinct prompts, greedy, N new tokens)
/// to a chat-only server on 127.0.0.1, once with requests decoded one at a time (batch 1) and once batched
/// (--batch B), in one process; prints one JSON line per batch size and their ratio. A folder without a chat template
/// gets a ChatML one (the bench decoders of fixtures/models/export_bench_decoder.py have none).
/// </summary>
internal static class ChatBench
{
    private const string ChatMl =
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    public static async Task<int> RunAsync(Dictionary<string, string> opts)
    {
        string dir = opts["--generator"];
        int clients = Int(opts, "--concurrency", 4), rounds = Int(opts, "--rounds", 2), newTokens = Int(opts, "--new", 32), batch = Int(opts, "--batch", 8);
        var generator = TextGenerator.Load(dir);
        if (generator.ChatFormatter is null) generator.ChatFormatter = new ChatTemplateFormatter(ChatTemplate.Parse(ChatMl));
        double? single = null;
        foreach (int size in new[] { 1, batch })
        {
            var chat = new ChatService(new SkaldChatClient(generator, "bench") { MaxBatchSize = size }, "bench");
            await using var server = await EmbeddingServer.StartLiveAsync(null, null, null, chat, "127.0.0.1", 0);
            using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(30) };
            await Ask(http, "Hei", newTokens); // warm-up
            long tokens = 0;
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
            {
                for (int r = 0; r < rounds; r++)
                    Interlocked.Add(ref tokens, await Ask(http, $"Spørsmål {c}-{r}: hva heter hovedstaden i land nummer {c * rounds + r}?", newTokens));
            }));
            double rate = tokens / sw.Elapsed.TotalSeconds;
            single ??= rate;
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["model"] = Path.GetFileName(Path.GetFullPath(dir)),
                ["max_batch"] = size,
                ["clients"] = clients,
                ["requests"] = clients * rounds,
                ["completion_tokens"] = tokens,
                ["seconds"] = Math.Round(sw.Elapsed.TotalSeconds, 2),
                ["tokens_per_s"] = Math.Round(rate, 1),
                ["vs_batch_1"] = Math.Round(rate / single.Value, 2),
                ["largest_batch"] = ((SkaldChatClient)chat.Client).LargestBatch,
                ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?",
            }));
        }
        return 0;
    }

    private static async Task<long> Ask(HttpClient http, string question, int newTokens)
    {
        string body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = "bench",
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = question } },
            ["max_tokens"] = newTokens,
            ["temperature"] = 0,
        });
        using var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{(int)response.StatusCode}: {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt64();
    }

    private static int Int(Dictionary<string, string> opts, string key, int fallback) =>
        opts.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
