namespace Skald.Cli.Tests;

/// <summary>
/// <c>--model</c> naming a file of a model (its model.safetensors or config.json) instead of its folder: the error names
/// the folder to give, where it said "model folder not found" of a file that is right there.
/// </summary>
public sealed class ModelFilePathTests
{
    public static TheoryData<string, string, string[]> Verbs()
    {
        string texts = Path.Combine(TestPaths.RepoRoot, "samples", "encode-example.txt"), output = Path.Combine(TestPaths.NewTempDir(), "o.npy");
        return new TheoryData<string, string, string[]>
        {
            { "bert-cased-mean", "model.safetensors", ["info"] },
            { "bert-cased-mean", "config.json", ["encode", "--input", texts, "--output", output] },
            { "ce-bert", "model.safetensors", ["rerank", "--query", "Hvor ligger legekontoret?", "--documents", texts] },
            { "bert-cased-mean", "model.safetensors", ["index", "build", "--documents", SampleDocuments.Folder, "--output", Path.Combine(TestPaths.NewTempDir(), "idx")] },
        };
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public void AFileOfTheModelIsNamedWithItsFolder(string fixture, string file, string[] verb)
    {
        string folder = TestPaths.FixtureModel(fixture), path = Path.Combine(folder, file);
        int words = verb[0] == "index" ? 2 : 1; // `index build` is two words before its options
        var r = InProcessSkald.Capture([.. verb[..words], "--model", path, .. verb[words..]]);
        SkaldProcess.AssertUserError(r, 1, $"{path}: is a file, not a model folder (name the folder holding it: {Path.GetFullPath(folder)})");
    }

    [Fact]
    public void AFileOfTheModelInAHybridModelIsNamedWithItsFolder()
    {
        string folder = TestPaths.FixtureModel("bert-cased-mean"), path = Path.Combine(folder, "model.safetensors");
        string task = Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "retrieval");
        var r = InProcessSkald.Capture("evaluate", "--model", "hybrid:" + path, "--task", task);
        SkaldProcess.AssertUserError(r, 1, $"{path}: is a file, not a model folder (name the folder holding it: {Path.GetFullPath(folder)})");
    }

    /// <summary>
    /// The folder above models (the quickstart's out/quickstart, which holds its tokenizer.json beside the models) is not
    /// a model: one line saying so and naming the models inside, where it said "config.json: file not found".
    /// </summary>
    [Fact]
    public void AFolderOfModelsNamesTheModelsInIt()
    {
        string parent = TestPaths.NewTempDir(), fixture = TestPaths.FixtureModel("bert-cased-mean");
        foreach (string name in new[] { "bert", "static" })
        {
            Directory.CreateDirectory(Path.Combine(parent, name));
            foreach (string file in Directory.GetFiles(fixture)) File.Copy(file, Path.Combine(parent, name, Path.GetFileName(file)));
        }
        File.Copy(Path.Combine(fixture, "tokenizer.json"), Path.Combine(parent, "tokenizer.json"));
        Directory.CreateDirectory(Path.Combine(parent, "runs"));
        string texts = Path.Combine(TestPaths.RepoRoot, "samples", "encode-example.txt");
        string expected = $"{parent}: not a model folder (no config.json or modules.json); the model folders in it: "
            + $"{Path.Combine(parent, "bert")}, {Path.Combine(parent, "static")}";
        SkaldProcess.AssertUserError(InProcessSkald.Capture("info", "--model", parent), 1, expected);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", parent, "--input", texts, "--output", Path.Combine(TestPaths.NewTempDir(), "o.npy")), 1, expected);
        File.Delete(Path.Combine(parent, "tokenizer.json")); // no tokenizer either: still the folder, not its tokenizer.json
        SkaldProcess.AssertUserError(InProcessSkald.Capture("info", "--model", parent), 1, expected);
        string empty = TestPaths.NewTempDir();
        SkaldProcess.AssertUserError(InProcessSkald.Capture("info", "--model", empty), 1, $"{empty}: not a model folder (no config.json or modules.json)");
    }

    /// <summary>An --adapters folder that is not there is named as such, not as its missing adapter_config.json.</summary>
    [Fact]
    public void AMissingAdapterFolderIsNotFound()
    {
        string missing = Path.Combine(TestPaths.NewTempDir(), "mntp");
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("decoder-qwen2"), "--adapters", missing,
            "--input", Path.Combine(TestPaths.RepoRoot, "samples", "encode-example.txt"), "--output", Path.Combine(TestPaths.NewTempDir(), "o.npy"));
        SkaldProcess.AssertUserError(r, 1, $"{missing}: adapter folder not found");
        Assert.DoesNotContain("adapter_config.json", r.Stderr);
    }

    [Fact]
    public void AMissingFolderIsStillNotFound()
    {
        string missing = Path.Combine(TestPaths.NewTempDir(), "nope");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("info", "--model", missing), 1, $"{missing}: model folder not found");
    }

    /// <summary>
    /// A relative path that is not there names the folder it was looked for in and, when it has no hub id's form
    /// (<c>./models/x</c>, a bare <c>bert-base-uncased</c>), that it is no hub id either; one of a hub id's form is
    /// looked up in the hub's cache first and named as both (it said "model folder not found" alone of the first).
    /// </summary>
    [Fact]
    public void AMissingRelativePathNamesTheWorkingFolderAndTheHub()
    {
        string dir = TestPaths.NewTempDir();
        var offline = new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = Path.Combine(dir, "hf") };
        foreach (string missing in new[] { "./models/x", "bert-base-uncased" })
            SkaldProcess.AssertUserError(SkaldProcess.RunWith(dir, offline, "info", "--model", missing), 1,
                $"skald: error: {missing}: model folder not found (no such folder in {dir}), and no hub id (org/name) either");
        SkaldProcess.AssertUserError(SkaldProcess.RunWith(dir, offline, "info", "--model", "models/x"), 1,
            $"skald: error: models/x: no such local folder, not in the hub cache {Path.Combine(dir, "hf")}, and HF_HUB_OFFLINE is set");
    }
}
