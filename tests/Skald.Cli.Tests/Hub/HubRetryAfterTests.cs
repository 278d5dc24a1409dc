using System.Diagnostics;
using Skald.Hub;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// The hub's requests had a retry pipeline of their own, which retried a 429 after its own quarter-second backoff,
/// whatever the hub's Retry-After asked. They now go through Skald's one retry pipeline (<see cref="RetryPipeline"/>,
/// which the LLM and embedding endpoints' clients use too), and wait what the hub asks.
/// </summary>
public sealed class HubRetryAfterTests
{
    [Fact]
    public void ARateLimitedRequestWaitsWhatRetryAfterAsks()
    {
        var repo = MockRepo.FromFolder("skald-test/bert", TestPaths.FixtureModel("bert-cased-mean"));
        using var hub = new MockHub(repo) { TooMany = 1, RetryAfterSeconds = 2 };
        using var resolver = new HubResolver(new HubSettings { Endpoint = hub.Endpoint, Cache = Path.Combine(TestPaths.NewTempDir(), "hub") });
        string snapshot = resolver.Resolve(HubId.TryParse("skald-test/bert")!);
        Assert.Equal(repo.Files["config.json"], File.ReadAllBytes(Path.Combine(snapshot, "config.json")));
        var requests = hub.Requests.ToArray();
        Assert.Equal(requests[0], requests[1]); // the rate-limited request, asked again
        // the time between the two: the backoff alone waits at most about a third of a second before the first retry
        var arrivals = hub.Arrivals.ToArray();
        var waited = Stopwatch.GetElapsedTime(arrivals[0], arrivals[1]);
        Assert.True(waited >= TimeSpan.FromSeconds(1.9), $"retried after {waited.TotalSeconds:F2} s");
    }

    [Theory]
    [InlineData("2", 2.0)]
    [InlineData("0", 0.0)]
    [InlineData("900", 300.0)] // at most five minutes
    public void RetryAfterIsSecondsAtMostFiveMinutes(string value, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryPipeline.RetryAfter(value));

    [Fact]
    public void RetryAfterIsADateOrNothing()
    {
        var wait = RetryPipeline.RetryAfter(DateTimeOffset.UtcNow.AddSeconds(30).ToString("R", System.Globalization.CultureInfo.InvariantCulture))!.Value;
        Assert.InRange(wait.TotalSeconds, 25, 30.5);
        Assert.Equal(TimeSpan.Zero, RetryPipeline.RetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
        Assert.Null(RetryPipeline.RetryAfter("soon"));
        Assert.Null(RetryPipeline.RetryAfter(null));
    }
}
