using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// An index built with an adapter folder whose base is a hub id: the model check of <c>skald search</c> and
/// <c>skald index add</c> reads the base from the hub cache only (the revision the cache's ref names), never asking the
/// hub, and so does the load after it (it loads what was checked), so those verbs ask <see cref="MockHub"/> nothing,
/// where loading the model elsewhere asks; a newer revision fetched into the cache since is a changed model, found
/// without a request, and a base the cache lacks is one line. A newer revision on the hub, not fetched, is not loaded:
/// the search embeds with the revision its check read and leaves the cache as it was.
/// </summary>
public sealed class HubBaseIndexCheckTests
{
    private const string BaseId = "skald-test/bert";

    [Fact]
    public void TheChecksAskTheHubNothingAndStillSeeANewerBase()
    {
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        string bert = TestPaths.FixtureModel("bert-cased-mean");
        using var hub = new MockHub(MockRepo.FromFolder(BaseId, bert));
        var online = Env(home, hub.Endpoint);

        string adapter = Path.Combine(dir, "bert-lora"); // a local adapter folder whose base_model_name_or_path is the hub id
        Directory.CreateDirectory(adapter);
        foreach (var (name, bytes) in HubAdapterBaseTests.AdapterFiles(dir)) File.WriteAllBytes(Path.Combine(adapter, name), bytes);
        string index = Path.Combine(dir, "idx"), more = Path.Combine(dir, "more");
        Directory.CreateDirectory(more);
        File.WriteAllText(Path.Combine(more, "sykkel.txt"), "Sykkelparkeringa ligg bak biblioteket.\n");
        string texts = Path.Combine(dir, "t.txt");
        File.WriteAllText(texts, "Hei verden\n");

        SkaldProcess.Result Run(IReadOnlyDictionary<string, string> env, out int requests, params string[] args)
        {
            int before = hub.Requests.Count;
            var r = SkaldProcess.RunWith(dir, env, args);
            requests = hub.Requests.Count - before;
            return r;
        }

        var build = Run(online, out _, "index", "build", "--model", adapter, "--documents", SampleDocuments.Folder, "--output", index, "-q");
        Assert.True(build.ExitCode == 0, build.Stderr);
        // what loading the adapter asks the hub (the base's revision), with nothing to check
        var encode = Run(online, out int load, "encode", "--model", adapter, "--input", texts, "--output", Path.Combine(dir, "v.jsonl"));
        Assert.True(encode.ExitCode == 0, encode.Stderr);
        Assert.True(load > 0);

        var search = Run(online, out int searched, "search", "--index", index, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "dense", "--format", "json");
        Assert.True(search.ExitCode == 0, search.Stderr);
        Assert.Equal(0, searched); // neither the check nor the load after it asked the hub
        var add = Run(online, out int added, "index", "add", "--index", index, "--documents", more, "-q");
        Assert.True(add.ExitCode == 0, add.Stderr);
        Assert.Equal(0, added);

        // a newer revision of the base (one weight byte differs) fetched into the same cache: the cache's ref now names it
        var files = Directory.GetFiles(bert, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(bert, f).Replace('\\', '/'), File.ReadAllBytes);
        files["model.safetensors"][^1] ^= 0x40;
        using (var newer = new MockHub(new MockRepo(BaseId, files, commit: new string('b', 40))))
        {
            var fetch = SkaldProcess.RunWith(dir, Env(home, newer.Endpoint), "encode", "--model", BaseId, "--input", texts, "--output", Path.Combine(dir, "b.jsonl"));
            Assert.True(fetch.ExitCode == 0, fetch.Stderr);
        }
        var changed = Run(online, out int refused, "search", "--index", index, "--query", "sykkel", "--mode", "dense");
        SkaldProcess.AssertUserError(changed, 1, $"{adapter}: the model has changed since {index} was built");
        Assert.Equal(0, refused); // the old hub would have said "main is the old commit" had it been asked

        // a cache without the base: one line naming the adapter's key and the id, and still no request
        var missing = Run(Env(Path.Combine(dir, "empty"), hub.Endpoint), out int none, "search", "--index", index, "--query", "sykkel", "--mode", "dense");
        SkaldProcess.AssertUserError(missing, 1, $"{Path.Combine(adapter, "adapter_config.json")}: base_model_name_or_path \"{BaseId}\"", "not in the hub cache");
        Assert.Equal(0, none);
    }

    [Fact]
    public void ANewerRevisionOnTheHubIsNotWhatTheSearchLoads()
    {
        string dir = TestPaths.NewTempDir(), home = Path.Combine(dir, "hf");
        string bert = TestPaths.FixtureModel("bert-cased-mean");
        string adapter = Path.Combine(dir, "bert-lora");
        Directory.CreateDirectory(adapter);
        foreach (var (name, bytes) in HubAdapterBaseTests.AdapterFiles(dir)) File.WriteAllBytes(Path.Combine(adapter, name), bytes);
        string index = Path.Combine(dir, "idx");
        string[] search = ["search", "--index", index, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "dense", "--format", "json"];
        string before;
        using (var hub = new MockHub(MockRepo.FromFolder(BaseId, bert)))
        {
            var build = SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), "index", "build", "--model", adapter, "--documents",
                SampleDocuments.Folder, "--output", index, "-q");
            Assert.True(build.ExitCode == 0, build.Stderr);
            var first = SkaldProcess.RunWith(dir, Env(home, hub.Endpoint), search);
            Assert.True(first.ExitCode == 0, first.Stderr);
            before = first.Stdout;
        }

        // The hub's main is now a newer revision whose weights differ (every value of the embedding table scaled), not fetched.
        var files = Directory.GetFiles(bert, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(bert, f).Replace('\\', '/'), File.ReadAllBytes);
        files["model.safetensors"] = Scaled(files["model.safetensors"]);
        using var newer = new MockHub(new MockRepo(BaseId, files, commit: new string('b', 40)));
        var again = SkaldProcess.RunWith(dir, Env(home, newer.Endpoint), search);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Empty(newer.Requests); // it loaded the cached revision its check read, asking nothing
        Assert.Equal(before, again.Stdout); // so the vectors are the index's model's
        var third = SkaldProcess.RunWith(dir, Env(home, newer.Endpoint), search);
        Assert.True(third.ExitCode == 0, third.Stderr); // the cache still holds the checked revision: the index still searches
    }

    // A BERT checkpoint with every float of its word embeddings multiplied by 1.5 (the header and the rest as they were).
    private static byte[] Scaled(byte[] safetensors)
    {
        var copy = (byte[])safetensors.Clone();
        long header = BitConverter.ToInt64(copy, 0);
        using var doc = System.Text.Json.JsonDocument.Parse(copy.AsMemory(8, (int)header));
        var offsets = doc.RootElement.GetProperty("embeddings.word_embeddings.weight").GetProperty("data_offsets");
        long begin = 8 + header + offsets[0].GetInt64(), end = 8 + header + offsets[1].GetInt64();
        for (long i = begin; i < end; i += 4)
            BitConverter.TryWriteBytes(copy.AsSpan((int)i, 4), BitConverter.ToSingle(copy, (int)i) * 1.5f);
        return copy;
    }
}
