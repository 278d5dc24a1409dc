using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>/health</c> while the host drains: on Ctrl+C or SIGTERM ASP.NET Core's console lifetime signals
/// <c>ApplicationStopping</c> before the host stops Kestrel, and a host may wait in between (a lifecycle service's
/// <c>StoppingAsync</c>, the usual way to let a load balancer notice). A poller on a kept-alive connection opened before
/// then must get 503 "draining" with <c>Connection: close</c> on that same connection, not the 200 it got before.
/// </summary>
public sealed class DrainingHealthTests
{
    [Fact]
    public async Task AKeptAliveHealthCheckGets503OnceTheHostStartsStopping()
    {
        var hold = new HoldStopping();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<IHostedService>(hold);
        var app = builder.Build();
        app.MapSkaldHealth("house-model");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        var running = app.RunAsync(); // as skald serve runs: started, then waiting for a stop signal
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        int connections = 0;
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, cancel) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancel);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            using (var ok = await client.GetAsync("health"))
            {
                Assert.Equal(200, (int)ok.StatusCode);
                Assert.False(ok.Headers.ConnectionClose ?? false);
            }
            // what Ctrl+C / SIGTERM do (the console lifetime): ApplicationStopping; the waiting run then stops the host:
            // the lifecycle services' StoppingAsync (held here), then the services, Kestrel first
            app.Lifetime.StopApplication();
            await hold.Entered.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(app.Lifetime.ApplicationStopping.IsCancellationRequested);
            using (var draining = await client.GetAsync("health"))
            {
                Assert.Equal(503, (int)draining.StatusCode);
                Assert.True(draining.Headers.ConnectionClose);
                var body = JsonDocument.Parse(await draining.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal("draining", body.GetProperty("status").GetString());
                Assert.Equal("house-model", body.GetProperty("model").GetString());
            }
            Assert.Equal(1, connections); // both answers came over the one kept-alive connection
            using var head = new HttpRequestMessage(HttpMethod.Head, "health");
            using (var headAnswer = await client.SendAsync(head)) Assert.Equal(503, (int)headAnswer.StatusCode);
        }
        finally
        {
            hold.Release();
            app.Lifetime.StopApplication();
            await running.WaitAsync(TimeSpan.FromSeconds(60));
            await app.DisposeAsync();
        }
    }

    /// <summary>
    /// Holds the host's stopping in <c>StoppingAsync</c> until released, as a shutdown delay for a load balancer does
    /// (after a stop signal the host calls it before it stops any service, Kestrel's included).
    /// </summary>
    private sealed class HoldStopping : IHostedLifecycleService
    {
        private readonly TaskCompletionSource entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => entered.Task;

        public void Release() => released.TrySetResult();

        public Task StoppingAsync(CancellationToken cancellationToken)
        {
            entered.TrySetResult();
            return released.Task;
        }

        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
