using System.Text.Json;
using Skald.Hub;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// A <c>skald pipeline</c> stage whose model is a hub id is keyed by the commit the id resolves to: run again with
/// the same snapshot it is kept, after a new commit on the hub (<see cref="MockHub"/>) it runs again, and offline the
/// commit the cache's ref names decides (a ref moved back to the older snapshot runs it again).
/// </summary>
public sealed class HubPipelineSnapshotTests
{
    private const string Kept = "done by an earlier run with the same settings, kept";

    [Fact]
    public void ANewSnapshotOfTheStagesHubModelRunsItAgainAndTheSameOneKeepsIt()
    {
        using var hub = new MockHub(MockRepo.FromFolder("skald-test/bert", TestPaths.FixtureModel("bert-cased-mean")));
        string dir = TestPaths.NewTempDir(), suite = Path.Combine(dir, "suite.json"), config = Path.Combine(dir, "pipeline.yaml"), home = Path.Combine(dir, "hf");
        File.WriteAllText(suite, JsonSerializer.Serialize(new
        {
            name = "s",
            tasks = new[] { new { path = Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "retrieval"), name = "retrieval" } },
        }));
        File.WriteAllText(config, $"output: {Path.Combine(dir, "out")}\nstages:\n  - {{name: bench, type: benchmark, suite: '{suite}', models: [skald-test/bert]}}\n");
        string Run(bool offline = false)
        {
            var env = Env(home, hub.Endpoint, offline: offline);
            var r = SkaldProcess.RunWith(dir, env, "pipeline", "--config", config);
            Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
            return r.Stdout + r.Stderr;
        }
        Assert.DoesNotContain(Kept, Run());
        string first = hub.CommitOf("skald-test/bert");
        Assert.Contains(Kept, Run());

        // a new commit on the hub (a card added): the stage would load another snapshot, so it runs again
        string card = Path.Combine(dir, "README.md");
        File.WriteAllText(card, "# skald-test/bert\n");
        var settings = Settings(hub, home);
        using (var uploader = new HubUploader(settings)) uploader.Upload(new HubUploadRequest { Repo = "skald-test/bert", Source = card });
        Assert.NotEqual(first, hub.CommitOf("skald-test/bert"));
        Assert.DoesNotContain(Kept, Run());
        Assert.Contains(Kept, Run());

        // offline, the cache decides: its ref names the snapshot just used (kept), then the first one (runs again)
        Assert.Contains(Kept, Run(offline: true));
        string main = Path.Combine(home, "hub", "models--skald-test--bert", "refs", "main");
        Assert.Equal(hub.CommitOf("skald-test/bert"), File.ReadAllText(main));
        File.WriteAllText(main, first);
        Assert.DoesNotContain(Kept, Run(offline: true));
    }
}
