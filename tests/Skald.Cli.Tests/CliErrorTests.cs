namespace Skald.Cli.Tests;

public sealed class CliErrorTests
{
    [Fact]
    public void UnknownCommandIsAUsageError() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("frobnicate"), 2, "unknown command 'frobnicate'");

    [Fact]
    public void UnknownOptionIsNamed() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--modle", "x"), 2,
            "unknown option --modle for 'skald encode'", "did you mean '--model'?");

    [Fact]
    public void MissingRequiredOptionIsNamed() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", "x", "--output", "o.jsonl"), 2, "'skald encode' needs --input");

    [Fact]
    public void BadOptionValueIsNamed() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", "x", "--input", "x.txt", "--output", "o.jsonl", "--batch-size", "0"), 2,
            "option --batch-size must be an integer ≥ 1, got '0'");

    [Fact]
    public void ConflictingOptionsAreAUsageError() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", "x", "--input", "x.txt", "--output", "o.jsonl", "--prompt", "q: ", "--prompt-name", "query"), 2,
            "give --prompt-name or --prompt, not both");

    [Fact]
    public void AnOutputThatCannotBeWrittenIsNamedBeforeAnythingLoads()
    {
        // The model does not exist: the output is refused first, so nothing was loaded or encoded for it.
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "in.txt");
        File.WriteAllText(input, "hei\n");
        string missing = Path.Combine(dir, "nope", "out.npy");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Path.Combine(dir, "no-model"), "--input", input, "--output", missing), 1,
            "out.npy: output folder", "does not exist");
        Directory.CreateDirectory(Path.Combine(dir, "taken.jsonl"));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Path.Combine(dir, "no-model"), "--input", input, "--output",
            Path.Combine(dir, "taken.jsonl")), 1, "taken.jsonl: is a folder");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Path.Combine(dir, "no-model"), "--task", dir, "--output",
            Path.Combine(dir, "nope", "r.json")), 1, "r.json: output folder", "does not exist");
        string suite = Path.Combine(dir, "s.json");
        File.WriteAllText(suite, "{\"tasks\": [{\"path\": \".\"}]}");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("benchmark", "--models", Path.Combine(dir, "no-model"), "--suite", suite, "--output",
            Path.Combine(dir, "nope", "report"), "--no-cache"), 1, "report.md: output folder", "does not exist");
        Assert.Empty(Directory.GetFiles(dir, ".tmp-*"));
        // A folder where a file belongs, or a file where a folder belongs, is named as such.
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Path.Combine(dir, "no-model"), "--input", input, "--output",
            Path.Combine(dir, "q.npy"), "--precision", "int8", "--ranges", Path.Combine(dir, "taken.jsonl")), 1, "--ranges", "is a folder");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("quantize", "--model", Path.Combine(dir, "no-model"), "--output", input), 1,
            "in.txt: is a file; name a folder");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("benchmark", "--models", Path.Combine(dir, "no-model"), "--suite", Path.Combine(dir, "s.json"), "--output", Path.Combine(dir, "r"), "--cache", input), 1,
            "--cache", "is a file");
    }

    [Fact]
    public void UnknownTaskTypeIsAUsageError() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", "x", "--task", "y", "--type", "foo"), 2,
            "option --type must be one of retrieval, sts", "got 'foo'");

    /// <summary>A near miss of a command-line choice gets "did you mean" before the list, as a config choice does.</summary>
    [Fact]
    public void MistypedChoiceGetsDidYouMean()
    {
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", "x", "--task", "y", "--type", "retreival"), 2,
            "option --type got 'retreival'; did you mean 'retrieval'? (must be one of retrieval, sts, ");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "translate", "--engine", "apertum", "--from", "nb", "--to", "nn",
            "--data", "x.jsonl", "--output", "y.jsonl"), 2, "option --engine got 'apertum'; did you mean 'apertium'? (must be one of apertium, llm)");
    }

    [Theory]
    [InlineData("train", "foo", "expected section.key=value")]
    [InlineData("train", "training.batch_size=[1,", "value is not valid YAML")]
    [InlineData("train", "nosuch.key=1", "unknown config section 'nosuch'")]
    [InlineData("pipeline", "foo", "expected STAGE.KEY=VALUE")]
    [InlineData("pipeline", "mntp.steps=[1,", "the value is not valid YAML")]
    public void MalformedSetIsAUsageErrorBeforeAnythingRuns(string verb, string assignment, string fragment) =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture(verb, "--config", "does-not-matter.yaml", "--set", assignment), 2, fragment);

    /// <summary>A full fine-tune (no lora section) cannot hold its weights in 16 bits: one line naming model.weights.</summary>
    [Fact]
    public void SixteenBitWeightsForAFullFineTuneAreOneLine() =>
        SkaldProcess.AssertUserError(SkaldProcess.RunIn(TestPaths.RepoRoot, "train", "--config", "configs/train-example.yaml", "--set", "model.weights=bf16"), 1,
            "--set: model.weights bf16 keeps the base frozen in 16 bits, so it needs a lora section", "use model.weights: f32");

    [Fact]
    public void MissingInputFileIsNamed()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "nope.txt");
        var r = InProcessSkald.Capture("encode", "--model", dir, "--input", input, "--output", Path.Combine(dir, "o.jsonl"));
        SkaldProcess.AssertUserError(r, 1, input, "file not found");
    }

    /// <summary>A missing --config is worded as every verb's missing input is, not as the runtime's "Could not find file".</summary>
    [Theory]
    [InlineData("train")]
    [InlineData("pipeline")]
    public void MissingConfigIsNamedLikeAnyMissingFile(string verb)
    {
        string config = Path.Combine(TestPaths.NewTempDir(), "missing.yaml");
        var r = InProcessSkald.Capture(verb, "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"{config}: file not found");
        Assert.DoesNotContain("Could not find", r.Stderr);
    }

    /// <summary>
    /// A --config x.yml that is missing while x.yaml exists (and the reverse) names the file that is there: the line was
    /// only "file not found".
    /// </summary>
    [Theory]
    [InlineData("train", "run.yml", "run.yaml")]
    [InlineData("pipeline", "run.yaml", "run.yml")]
    public void AMissingConfigSuggestsTheOtherYamlExtension(string verb, string given, string there)
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, there), "model:\n  path: x\n");
        var r = InProcessSkald.Capture(verb, "--config", Path.Combine(dir, given));
        SkaldProcess.AssertUserError(r, 1, $"{Path.Combine(dir, given)}: file not found; did you mean {Path.Combine(dir, there)}?");
    }

    [Fact]
    public void EmptyInputFileIsRejected()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "empty.txt");
        File.WriteAllText(input, "");
        var r = InProcessSkald.Capture("encode", "--model", dir, "--input", input, "--output", Path.Combine(dir, "o.jsonl"));
        SkaldProcess.AssertUserError(r, 1, input, "empty");
    }

    [Fact]
    public void BlankLineIsNamedByNumber()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt");
        File.WriteAllText(input, "første\nandre\n   \nfjerde\n");
        var r = InProcessSkald.Capture("encode", "--model", dir, "--input", input, "--output", Path.Combine(dir, "o.jsonl"));
        SkaldProcess.AssertUserError(r, 1, input + ":3", "blank line");
    }

    [Fact]
    public void MalformedJsonlLineIsNamedByNumber()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.jsonl");
        File.WriteAllText(input, "{\"text\":\"hei\"}\n{\"text\":\n");
        var r = InProcessSkald.Capture("encode", "--model", dir, "--input", input, "--output", Path.Combine(dir, "o.jsonl"));
        SkaldProcess.AssertUserError(r, 1, input + ":2", "invalid JSON");
    }

    [Fact]
    public void MissingModelFolderIsNamed()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt");
        File.WriteAllText(input, "hei\n");
        string model = Path.Combine(dir, "no-such-model");
        var r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", Path.Combine(dir, "o.jsonl"));
        SkaldProcess.AssertUserError(r, 1, model, "not found");
    }

    [Fact]
    public void UnsupportedOutputTypeIsNamed()
    {
        string dir = TestPaths.NewTempDir();
        var r = InProcessSkald.Capture("encode", "--model", dir, "--input", "x.txt", "--output", Path.Combine(dir, "o.csv"));
        SkaldProcess.AssertUserError(r, 1, "o.csv", "unsupported output type");
    }
}
