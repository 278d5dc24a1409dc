using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skald.Models;
using Skald.Serving;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>Graceful shutdown, hosting inside an existing ASP.NET Core app, and the port-in-use error.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task StoppingFinishesRequestsInFlightWithoutWaitingToFillBatches()
    {
        // A batching wait far longer than the test (an hour) keeps the requests queued inside the server while it is told to stop.
        var server = await StartAsync(new EmbeddingServiceOptions { MaxWait = TimeSpan.FromHours(1), MaxBatchSize = 1000 });
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
        var requests = Enumerable.Range(0, 6).Select(i => PostAsync(client, Json(new { input = Texts[i..(i + 3)], model = "m" }))).ToArray();
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        while (server.Service!.Pending < 18 && waiting.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
        Assert.Equal(18, server.Service!.Pending);
        Assert.All(requests, r => Assert.False(r.IsCompleted));
        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(300)); // not the hour: the batch ran at once
        var reference = SentenceEncoder.Load(ModelDir);
        for (int i = 0; i < requests.Length; i++)
        {
            var (status, body) = await requests[i];
            Assert.Equal(200, status);
            var got = Embeddings(body);
            var expected = reference.Encode(Texts[i..(i + 3)]);
            for (int j = 0; j < 3; j++) AssertClose(expected[j], got[j]);
        }
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("health"));
    }

    [Fact]
    public async Task MapsIntoAnExistingApp()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/", () => "the host's own endpoint");
        var service = app.MapSkaldEmbeddings(SentenceEncoder.Load(ModelDir), new EmbeddingServiceOptions { ModelName = "house-model" });
        app.MapSkaldMetrics(service, "/skald/metrics");
        await app.StartAsync();
        try
        {
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var (status, body) = await PostAsync(client, Json(new { input = new[] { "Hei", "Hallo" }, model = "house-model" }));
            Assert.Equal(200, status);
            Assert.Equal(2, Embeddings(body, "house-model").Length);
            Assert.Equal("the host's own endpoint", await client.GetStringAsync("/"));
            Assert.Contains("skald_inputs_total 2", await client.GetStringAsync("/skald/metrics"));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task APortInUseIsOneClearError()
    {
        await using var first = await StartAsync(new EmbeddingServiceOptions());
        var e = await Assert.ThrowsAsync<IOException>(() =>
            EmbeddingServer.StartAsync(SentenceEncoder.Load(ModelDir), "127.0.0.1", first.Address.Port));
        Assert.Contains($"127.0.0.1:{first.Address.Port}", e.Message);
        Assert.Contains("in use", e.Message);
        // The first one is unharmed.
        using var client = new HttpClient { BaseAddress = first.Address };
        var health = JsonDocument.Parse(await client.GetStringAsync("health")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
    }
}
