using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Skald.Models;
using Skald.Serving;

// Loopback load test: N requests of 1..16 texts at C concurrent connections against the embeddings server (in this
// process, port 0, 127.0.0.1 only), versus SentenceEncoder.Encode (what `skald encode` runs) on the same texts.
// Bounded: stops after --requests or --max-seconds, whichever comes first. Prints one JSON line.
//   dotnet run -c Release --project bench/serve -- --model DIR [--requests 2000] [--concurrency 32] [--max-seconds 600]
// With --generator DIR: chat completions instead (ChatBench: batched against one at a time).
//   dotnet run -c Release --project bench/serve -- --generator DIR [--concurrency 4] [--rounds 2] [--new 32] [--batch 8]
var opts = Args(args);
if (opts.ContainsKey("--generator")) return await ChatBench.RunAsync(opts);
string modelDir = opts.GetValueOrDefault("--model") ?? Path.Combine("fixtures", "models", "bert-cased-mean");
int requests = int.Parse(opts.GetValueOrDefault("--requests") ?? "2000", CultureInfo.InvariantCulture);
int concurrency = int.Parse(opts.GetValueOrDefault("--concurrency") ?? "32", CultureInfo.InvariantCulture);
double maxSeconds = double.Parse(opts.GetValueOrDefault("--max-seconds") ?? "600", CultureInfo.InvariantCulture);

// Texts: 3..30 words drawn from the fixture sentences, seeded.
var words = File.ReadAllText(Path.Combine("fixtures", "models", "texts.txt"))
    .Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);
var random = new Random(42);
var batches = new string[requests][];
for (int r = 0; r < requests; r++)
{
    batches[r] = new string[1 + random.Next(16)];
    for (int t = 0; t < batches[r].Length; t++)
        batches[r][t] = string.Join(' ', Enumerable.Range(0, 3 + random.Next(28)).Select(_ => words[random.Next(words.Length)]));
}
var all = batches.SelectMany(b => b).ToArray();

var encoder = SentenceEncoder.Load(modelDir);
var options = new EncodeOptions { BatchSize = 32 };
encoder.Encode(all[..64], options); // warm-up
var sw = Stopwatch.StartNew();
var offline = encoder.Encode(all, options);
double offlineSeconds = sw.Elapsed.TotalSeconds;

await using var server = await EmbeddingServer.StartAsync(encoder, "127.0.0.1", 0, new EmbeddingServiceOptions { Truncate = true });
using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
await Post(client, batches[0]); // warm-up

var latencies = new double[requests];
int next = -1, errors = 0, done = 0, texts = 0;
var deadline = Stopwatch.StartNew();
sw.Restart();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
{
    int r;
    while ((r = Interlocked.Increment(ref next)) < requests && deadline.Elapsed.TotalSeconds < maxSeconds)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            var got = await Post(client, batches[r]);
            if (r % 97 == 0) Check(got, offline, batches, r);
            Interlocked.Add(ref texts, got.Length);
        }
        catch (Exception e)
        {
            if (Interlocked.Increment(ref errors) <= 3) Console.Error.WriteLine($"request {r}: {e.Message}");
        }
        latencies[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        Interlocked.Increment(ref done);
    }
}));
double servedSeconds = sw.Elapsed.TotalSeconds;
var sorted = latencies.Take(done).Order().ToArray();
int offlineTexts = all.Length;
double offlineRate = offlineTexts / offlineSeconds, servedRate = texts / servedSeconds;
Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["model"] = Path.GetFileName(Path.GetFullPath(modelDir)),
    ["requests"] = done,
    ["texts"] = texts,
    ["concurrency"] = concurrency,
    ["errors"] = errors,
    ["offline_texts_per_s"] = Math.Round(offlineRate, 1),
    ["served_texts_per_s"] = Math.Round(servedRate, 1),
    ["ratio"] = Math.Round(servedRate / offlineRate, 3),
    ["p50_ms"] = Math.Round(sorted[sorted.Length / 2], 1),
    ["p99_ms"] = Math.Round(sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))], 1),
    ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?",
}));
return errors == 0 ? 0 : 1;

static async Task<float[][]> Post(HttpClient client, string[] texts)
{
    string body = JsonSerializer.Serialize(new Dictionary<string, object> { ["input"] = texts, ["model"] = "bench" });
    using var response = await client.PostAsync("v1/embeddings", new StringContent(body, Encoding.UTF8, "application/json"));
    string text = await response.Content.ReadAsStringAsync();
    if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{(int)response.StatusCode}: {text}");
    using var doc = JsonDocument.Parse(text);
    return [.. doc.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray())];
}

static void Check(float[][] got, float[][] offline, string[][] batches, int r)
{
    int first = batches.Take(r).Sum(b => b.Length);
    for (int i = 0; i < got.Length; i++)
    {
        for (int j = 0; j < got[i].Length; j++)
        {
            if (Math.Abs(got[i][j] - offline[first + i][j]) > 1e-4f)
                throw new InvalidOperationException($"request {r} text {i}: the served embedding differs from the offline one");
        }
    }
}

static Dictionary<string, string> Args(string[] args)
{
    var d = new Dictionary<string, string>();
    for (int i = 0; i + 1 < args.Length; i += 2) d[args[i]] = args[i + 1];
    return d;
}
