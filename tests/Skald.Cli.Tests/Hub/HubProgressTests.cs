using System.Collections.Concurrent;
using Skald.Hub;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// The library reports download progress through <see cref="IProgress{T}"/> (the CLI draws it as a bar on a terminal):
/// bytes grow to the total of the files fetched, every file is counted, and a resolve with everything cached reports
/// nothing.
/// </summary>
public sealed class HubProgressTests
{
    private sealed class Collect : IProgress<HubProgress>
    {
        public ConcurrentQueue<HubProgress> Reports { get; } = new();

        public void Report(HubProgress value) => Reports.Enqueue(value);
    }

    [Fact]
    public void ProgressCoversEveryFetchedByteAndFile()
    {
        var repo = MockRepo.FromFolder("skald-test/bert", TestPaths.FixtureModel("bert-cased-mean"));
        using var hub = new MockHub(repo);
        string cache = Path.Combine(TestPaths.NewTempDir(), "hub");
        using var resolver = new HubResolver(new HubSettings { Endpoint = hub.Endpoint, Cache = cache });
        var progress = new Collect();
        string snapshot = resolver.Resolve(HubId.TryParse("skald-test/bert")!, progress);

        var reports = progress.Reports.ToArray();
        Assert.NotEmpty(reports);
        // two rounds (the JSON files, then the rest), each with its own totals; each ends at its totals
        var rounds = reports.GroupBy(r => (r.TotalBytes, r.TotalFiles)).ToArray();
        Assert.Equal(2, rounds.Length);
        var files = Directory.GetFiles(snapshot, "*", SearchOption.AllDirectories);
        Assert.Equal(files.Sum(f => (long)File.ReadAllBytes(f).Length), rounds.Sum(g => g.Key.TotalBytes));
        Assert.Equal(files.Length, rounds.Sum(g => g.Key.TotalFiles));
        Assert.All(rounds, g => Assert.Equal((g.Key.TotalBytes, g.Key.TotalFiles), (g.Max(r => r.Bytes), g.Max(r => r.Files))));
        Assert.All(reports, r => Assert.InRange(r.Bytes, 0, r.TotalBytes));

        var again = new Collect();
        resolver.Resolve(HubId.TryParse("skald-test/bert")!, again);
        Assert.Empty(again.Reports);
    }
}
