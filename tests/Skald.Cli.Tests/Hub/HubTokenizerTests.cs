using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// <c>--tokenizer</c> takes a hub id as <c>--model</c> does (the F journey: an ML engineer fine-tuning from
/// <c>NbAiLab/nb-sbert-base</c> by id ran <c>skald data generate --tokenizer NbAiLab/nb-sbert-base</c> as the README's
/// first data line has it, and got "no such file or folder" while <c>info</c>, <c>encode</c> and <c>train</c> took the
/// id): the model's snapshot is fetched into the hub cache and its tokenizer read, with the chunk budget of the model
/// as for its folder; an id the hub does not answer is one line naming it and the option.
/// </summary>
public sealed class HubTokenizerTests
{
    private static readonly string Base = TestPaths.FixtureModel("bert-cased-mean"); // max_seq_length 64

    [Fact]
    public void TokenizeReadsAHubModelsTokenizer()
    {
        using var hub = new MockHub(MockRepo.FromFolder("skald-test/bert", Base));
        string dir = TestPaths.NewTempDir(), input = TestPaths.WriteFile(dir, "in.txt", "Hvor ligger legekontoret?\nEn annen linje\n");
        string fromHub = Path.Combine(dir, "hub.jsonl"), fromFolder = Path.Combine(dir, "folder.jsonl");
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        var r = SkaldProcess.RunWith(dir, env, "tokenize", "--tokenizer", "skald-test/bert", "--input", input, "--output", fromHub);
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = SkaldProcess.RunWith(dir, env, "tokenize", "--tokenizer", Base, "--input", input, "--output", fromFolder);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(File.ReadAllText(fromFolder), File.ReadAllText(fromHub));
        Assert.Contains(hub.Requests, q => q.Contains("/skald-test/bert/resolve/", StringComparison.Ordinal));
    }

    // The chunk budget is the model's (its max_seq_length less the special tokens and its document prompt), as for its folder, not the 256 default.
    [Fact]
    public void DataGenerateSizesChunksByAHubModelAsByItsFolder()
    {
        using var hub = new MockHub(MockRepo.FromFolder("skald-test/bert", Base));
        string dir = TestPaths.NewTempDir(), docs = SampleDocuments.Folder;
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        var fromHub = SkaldProcess.RunWith(dir, env, "data", "generate", "--documents", docs, "--tokenizer", "skald-test/bert",
            "--output", Path.Combine(dir, "hub"));
        Assert.True(fromHub.ExitCode == 0, fromHub.Stderr);
        var fromFolder = SkaldProcess.RunWith(dir, env, "data", "generate", "--documents", docs, "--tokenizer", Base,
            "--output", Path.Combine(dir, "folder"));
        Assert.True(fromFolder.ExitCode == 0, fromFolder.Stderr);
        Assert.DoesNotContain("of at most 256", fromHub.Stderr);
        foreach (string file in new[] { "corpus.jsonl", "queries.jsonl", "pairs.jsonl" })
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "folder", file)), File.ReadAllText(Path.Combine(dir, "hub", file)));
    }

    /// <summary>
    /// A pipeline stage's <c>tokenizer</c> key resolves as <c>--tokenizer</c> does (one resolver,
    /// <c>TokenizerFile.Resolve</c>): a generate stage given the hub id writes what <c>data generate --tokenizer ID</c>
    /// writes (it was refused as a missing file before any stage ran), and a new_bert stage reads the id's tokenizer.
    /// </summary>
    [Fact]
    public void APipelineStagesTokenizerKeyTakesAHubIdAsTheOptionDoes()
    {
        using var hub = new MockHub(MockRepo.FromFolder("skald-test/bert", Base));
        string dir = TestPaths.NewTempDir(), docs = SampleDocuments.Folder, config = Path.Combine(dir, "pipeline.yaml");
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        var cli = SkaldProcess.RunWith(dir, env, "data", "generate", "--documents", docs, "--tokenizer", "skald-test/bert",
            "--output", Path.Combine(dir, "cli"));
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        File.WriteAllText(config, $$"""
            output: {{Path.Combine(dir, "run")}}
            stages:
              - {name: gen, type: generate, documents: ['{{docs}}'], tokenizer: skald-test/bert, test_fraction: 0}
              - {name: bert, type: new_bert, tokenizer: skald-test/bert, hidden: 32, layers: 1, heads: 2, intermediate: 64}
            """);
        var r = SkaldProcess.RunWith(dir, env, "pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        foreach (string file in new[] { "corpus.jsonl", "queries.jsonl", "pairs.jsonl" })
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "cli", file)), File.ReadAllText(Path.Combine(dir, "run", "gen", file)));
        Assert.Equal(File.ReadAllText(Path.Combine(Base, "tokenizer.json")), File.ReadAllText(Path.Combine(dir, "run", "bert", "tokenizer.json")));
    }

    /// <summary>
    /// The pipeline's check before any stage runs treats a stage's tokenizer as a model reference: a value that is no
    /// path here, no earlier stage and no hub id is one line naming the key, and so is a hub id not in the cache offline.
    /// </summary>
    [Theory]
    [InlineData("nowhere", "", "gen.tokenizer: nowhere not found (no such file or folder, not a hub id org/name")]
    [InlineData("skald-test/absent", "1", "gen.tokenizer: skald-test/absent: no such local folder, not in the hub cache")]
    public void APipelineTokenizerThatIsNeitherHereNorOnTheHubIsOneLine(string value, string offline, string expected)
    {
        string dir = TestPaths.NewTempDir(), docs = SampleDocuments.Folder, config = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(config, $$"""
            output: {{Path.Combine(dir, "run")}}
            stages:
              - {name: gen, type: generate, documents: ['{{docs}}'], tokenizer: {{value}}}
            """);
        var env = Env(Path.Combine(dir, "hf"), "http://127.0.0.1:1");
        env["HF_HUB_OFFLINE"] = offline;
        SkaldProcess.AssertUserError(SkaldProcess.RunWith(dir, env, "pipeline", "--config", config), 1, expected);
    }

    [Fact]
    public void AnIdTheHubDoesNotHaveIsOneLine()
    {
        using var hub = new MockHub(MockRepo.FromFolder("skald-test/bert", Base));
        string dir = TestPaths.NewTempDir(), input = TestPaths.WriteFile(dir, "in.txt", "Hei\n");
        var r = SkaldProcess.RunWith(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint), "tokenize", "--tokenizer", "skald-test/nope", "--input", input, "--output", Path.Combine(dir, "o.jsonl"));
        SkaldProcess.AssertUserError(r, 1, "skald-test/nope", "not found", "option --tokenizer takes", "hub id");
    }

    /// <summary>
    /// A mistyped local path has a hub id's form (<c>tok/tokenizer.json</c>): the line names it as a path too, not only
    /// what the hub answered (unreachable, it said "cannot reach ..." and nothing of the file).
    /// </summary>
    [Fact]
    public void AMissingPathInAHubIdsFormIsNamedAsAPath()
    {
        string dir = TestPaths.NewTempDir(), input = TestPaths.WriteFile(dir, "in.txt", "Hei\n");
        var r = SkaldProcess.RunWith(dir, Env(Path.Combine(dir, "hf"), "http://127.0.0.1:1"), "tokenize", "--tokenizer", "tok/tokenizer.json", "--input", input,
            "--output", Path.Combine(dir, "o.jsonl"));
        SkaldProcess.AssertUserError(r, 1, "tok/tokenizer.json: no such file or folder", "as a hub id", "cannot reach", "option --tokenizer takes");
    }
}
