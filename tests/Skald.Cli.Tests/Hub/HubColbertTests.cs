using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// A PyLate ColBERT given as a hub id (<see cref="MockHub"/> on 127.0.0.1, HF_ENDPOINT and HF_HOME in temp folders):
/// <c>skald rerank --model org/name</c> fetches it with its Dense folder and ranks as the local folder does, and
/// <c>skald train</c> with it as <c>model.path</c> fine-tunes it (offline from the cache) into a PyLate folder.
/// </summary>
public sealed class HubColbertTests
{
    private const string Id = "skald-test/colbert";

    [Fact]
    public void AHubIdRanksAndTrainsAsTheFolder()
    {
        string local = TestPaths.FixtureModel("colbert-bert-tiny");
        using var hub = new MockHub(MockRepo.FromFolder(Id, local));
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        string documents = Path.Combine(dir, "docs.txt");
        File.WriteAllLines(documents, ["Ferja går kvar time frå kaia.", "Butikken opnar klokka ni.", "Bussen køyrer til Bergen."]);
        string[] ask = ["rerank", "--query", "Når går ferja?", "--documents", documents, "--format", "json"];

        var viaHub = SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), [ask[0], "--model", Id, .. ask[1..]]);
        Assert.True(viaHub.ExitCode == 0, viaHub.Stderr);
        var viaFolder = SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), [ask[0], "--model", local, .. ask[1..]]);
        Assert.True(viaFolder.ExitCode == 0, viaFolder.Stderr);
        Assert.Equal(viaFolder.Stdout, viaHub.Stdout);
        string snapshot = Directory.GetDirectories(Path.Combine(home, "hub", "models--skald-test--colbert", "snapshots")).Single();
        Assert.True(File.Exists(Path.Combine(snapshot, "1_Dense", "model.safetensors")));

        string data = Path.Combine(dir, "triplets.jsonl");
        File.WriteAllText(data, string.Concat(Enumerable.Range(0, 4).Select(i =>
            $"{{\"query\": \"Hvor ligger hus {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i}.\"}}\n")));
        string config = Path.Combine(dir, "c.yaml"), output = Path.Combine(dir, "run");
        File.WriteAllText(config, string.Join("\n", "model:", $"  path: {Id}", "data:", $"  train: {data}", "training:", "  batch_size: 4",
            "  max_steps: 1", "output:", $"  dir: {output}", "  tensorboard: false", "loss:", "  type: colbert_contrastive", ""));
        var train = SkaldProcess.RunWith(dir, Env(home, hub.Endpoint, offline: true), "train", "--config", config, "--quiet");
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("pylate.models.Dense.Dense", File.ReadAllText(Path.Combine(output, "final", "modules.json")));
        var trained = SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), [ask[0], "--model", Path.Combine(output, "final"), .. ask[1..]]);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
    }
}
