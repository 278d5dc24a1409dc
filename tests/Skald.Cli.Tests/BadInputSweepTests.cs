namespace Skald.Cli.Tests;

/// <summary>
/// Mistakes found by running every verb with the bad input users make: each is one line naming the file, option or
/// key, a non-zero exit and no stack trace (run in-process: no skald process to start per case).
/// </summary>
public sealed class BadInputSweepTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");
    private static readonly string Pairs = Path.Combine(TestPaths.RepoRoot, "samples", "data", "train-pairs.jsonl");
    private readonly string dir = TestPaths.NewTempDir();

    private string Write(string name, string text) => TestPaths.WriteFile(dir, name, text);

    /// <summary>A missing data file read as rows (static train, data translate, ...) was "cannot read data file (Could not find file '/full/path')".</summary>
    [Fact]
    public void AMissingDataFileIsFileNotFound()
    {
        string missing = Path.Combine(dir, "mangler.jsonl");
        var r = InProcessSkald.Capture("static", "train", "--data", missing, "--output", Path.Combine(dir, "st"));
        SkaldProcess.AssertUserError(r, 1, $"{missing}: file not found");
        Assert.DoesNotContain("Could not find", r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "st")));
    }

    /// <summary>A missing predictions file of a generation evaluation was "cannot read the file (Could not find file ...)".</summary>
    [Fact]
    public void AMissingPredictionsFileIsFileNotFound()
    {
        string task = Write("gen.jsonl", "{\"id\": \"1\", \"prompt\": \"q\", \"reference\": \"a b\"}\n");
        string missing = Path.Combine(dir, "pred.jsonl");
        var r = InProcessSkald.Capture("evaluate", "--task", task, "--type", "generation", "--predictions", missing);
        SkaldProcess.AssertUserError(r, 1, $"{missing}: file not found");
        Assert.DoesNotContain("Could not find", r.Stderr);
    }

    /// <summary>A whole number past int's range was "must be an integer ≥ 1, got '99999999999'", which it is.</summary>
    [Fact]
    public void AHugeNumberIsNamedAsOutOfRange() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", dir, "--query", "q", "--top-k", "99999999999"), 2,
            "option --top-k must be an integer from 1 to 2147483647, got '99999999999'");

    /// <summary>
    /// --max-body-mb past 2047 was taken, though a body is read into one array (at most Array.MaxLength bytes): it is
    /// refused as past its range, as other whole numbers are; 2047 itself is taken (the next problem is the host's).
    /// </summary>
    [Fact]
    public void ABodyLimitPastWhatOneArrayHoldsIsOutOfRange()
    {
        foreach (string mb in new[] { "2048", "4096", "99999999999", "0" })
        {
            // (--host without an API key: a limit taken would be refused next, never a server started)
            SkaldProcess.AssertUserError(InProcessSkald.Capture("serve", "--model", Model, "--host", "0.0.0.0", "--max-body-mb", mb), 2,
                $"option --max-body-mb must be an integer from 1 to 2047, got '{mb}'");
        }
        SkaldProcess.AssertUserError(InProcessSkald.Capture("serve", "--model", Model, "--host", "0.0.0.0", "--max-body-mb", "2047"), 2,
            "--host 0.0.0.0 accepts connections from other machines: give an API key with --api-key-env VAR");
    }

    [Fact]
    public void AMistypedStemmingLanguageGetsDidYouMean() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "mine-negatives", "--data", Pairs, "--output", Path.Combine(dir, "n.jsonl"),
            "--model", "bm25", "--language", "nbb"), 2, "--language nbb: did you mean 'nb'?: BM25 stems nb, nn, da, sv");

    /// <summary>
    /// mine-negatives --language with an embedding model was taken and ignored (only BM25 stems); the pipeline's
    /// mine_negatives stage already refused its language key there. The same option with bm25 is taken.
    /// </summary>
    [Fact]
    public void MiningLanguageWithAnEmbeddingModelIsAUsageError()
    {
        string output = Path.Combine(dir, "n.jsonl");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "mine-negatives", "--data", Pairs, "--output", output, "--model", Model,
            "--language", "auto"), 2, "--language applies to --model bm25");
        Assert.False(File.Exists(output));
        var r = InProcessSkald.Capture("data", "mine-negatives", "--data", Pairs, "--output", output, "--model", "bm25", "--language", "auto", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    /// <summary>
    /// mine-negatives' prompt names are looked up in the model's prompts (a missing one named with the ones it has),
    /// a prompt is for an embedding model, and include_positives writes n-tuples: each one line.
    /// </summary>
    [Fact]
    public void MiningPromptsAndIncludePositivesAreCheckedInOneLine()
    {
        string output = Path.Combine(dir, "n.jsonl");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "mine-negatives", "--data", Pairs, "--output", output, "--model", Model,
            "--query-prompt-name", "spørring"), 1, "query prompt name 'spørring' is not one of the model's prompts");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "mine-negatives", "--data", Pairs, "--output", output, "--model", "bm25",
            "--corpus-prompt", "passage: "), 2, "the prompt options apply to an embedding model");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "mine-negatives", "--data", Pairs, "--output", output, "--model", "bm25",
            "--include-positives"), 2, "--include-positives applies to --format n-tuple");
        Assert.False(File.Exists(output));
    }

    /// <summary>A folder given as the suite was "suite file not found".</summary>
    [Fact]
    public void AFolderGivenAsTheSuiteIsNamedAsAFolder() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("benchmark", "--models", "bm25", "--suite", dir, "--output", Path.Combine(dir, "r"), "--no-cache"), 1,
            $"{dir}: is a folder, expected a suite file");

    /// <summary>A folder given as the pipeline file was "file not found"; `skald train` already said what it is.</summary>
    [Fact]
    public void AFolderGivenAsThePipelineFileIsNamedAsAFolder() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("pipeline", "--config", dir), 1, $"{dir}: is a folder, expected a config file (YAML)");

    /// <summary>A file given as the quickstart's output folder was the runtime's "The file '/full/path' already exists.".</summary>
    [Fact]
    public void AFileGivenAsTheQuickstartOutputIsNamed()
    {
        string file = Write("out.txt", "taken\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("quickstart", "--output", file), 1, $"{file}: is a file; --output names a folder");
        Assert.Equal("taken\n", File.ReadAllText(file));
    }

    /// <summary>
    /// The quickstart on a --samples folder without the sample data stops naming the file it lacks,
    /// and leaves no empty output folder behind (it made out/quickstart before looking for the samples).
    /// </summary>
    [Fact]
    public void AQuickstartWithoutTheSamplesNamesThemAndMakesNoOutputFolder()
    {
        string output = Path.Combine(dir, "out", "quickstart"), samples = Path.Combine(dir, "samples");
        var r = InProcessSkald.Capture("quickstart", "--output", output, "--samples", samples);
        SkaldProcess.AssertUserError(r, 1, $"{Path.Combine(samples, "data", "corpus.txt")}: bundled sample data not found");
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    /// <summary>
    /// Without --samples the quickstart reads ./samples, else the installed tool's copy beside skald.dll (which
    /// <see cref="Packaging.ToolInstallTests"/> runs). The build beside the tests has no copy (a publish or pack makes
    /// it), so from an empty folder the one line names both places it looked (a skald process: the working directory
    /// is the empty folder).
    /// </summary>
    [Fact]
    public void AQuickstartAwayFromACloneNamesBothPlacesItLooked()
    {
        string besideSkald = Path.Combine(AppContext.BaseDirectory, "samples");
        Assert.False(Directory.Exists(besideSkald)); // (the premise)
        string output = Path.Combine(dir, "out");
        var r = SkaldProcess.RunIn(dir, "quickstart", "--output", output);
        SkaldProcess.AssertUserError(r, 1, "samples: the bundled sample data not found, neither in the working directory "
            + $"({Path.Combine(dir, "samples")}) nor beside skald ({besideSkald}); run from the repository root, or pass --samples DIR");
        Assert.False(Directory.Exists(output));
    }

    /// <summary>
    /// The quickstart's first stage named samples/data/corpus.txt whatever it read (--samples, or the installed tool's
    /// copy); it names the file it reads. The samples here hold a corpus and pairs that do not parse, so the run stops
    /// in stage 2 after the tokenizer: no training.
    /// </summary>
    [Fact]
    public void TheQuickstartNamesTheCorpusItReads()
    {
        string samples = Path.Combine(dir, "andre-prøver"), data = Directory.CreateDirectory(Path.Combine(samples, "data")).FullName;
        TestPaths.WriteFile(data, "corpus.txt", "Fjorden er dyp og kald.\nFerja går hver time.\n");
        TestPaths.WriteFile(data, "train-pairs.jsonl", "{ikke json\n");
        TestPaths.WriteFile(data, "train-triplets.jsonl", "{\"anchor\": \"a\", \"positive\": \"b\", \"negative\": \"c\"}\n");
        var log = new List<string>();
        var runner = new Skald.Cli.Quickstart.QuickstartRunner(new Skald.Cli.Quickstart.QuickstartOptions
        {
            Output = Path.Combine(dir, "out"), Samples = samples, Configs = Path.Combine(TestPaths.RepoRoot, "configs", "quickstart"), VocabSize = 100,
        }, log.Add);
        Assert.Throws<Skald.Training.Config.TrainingException>(() => runner.Run()); // (the pairs)
        Assert.EndsWith($"1/6 training a WordPiece tokenizer on {Path.Combine(data, "corpus.txt")}", log[0]);
    }

    /// <summary>
    /// A model.path that is no model printed the batch note about the data ("note: ... batches hold at most ...") before
    /// the error: two lines for one mistake.
    /// </summary>
    [Fact]
    public void AFolderThatIsNoModelIsTheOneLineOfATrainingRun()
    {
        string notAModel = Directory.CreateDirectory(Path.Combine(dir, "ikke-modell")).FullName;
        string config = Write("t.yaml", $"model:\n  path: {notAModel}\ndata:\n  train: {Pairs}\noutput:\n  dir: {Path.Combine(dir, "out")}\n");
        var r = InProcessSkald.Capture("train", "--config", config);
        SkaldProcess.AssertUserError(r, 1, $"{notAModel}: not a model folder");
        Assert.False(Directory.Exists(Path.Combine(dir, "out", "final")));
    }

    /// <summary>A folder without an extension given as encode's --output was "unsupported output type ''".</summary>
    [Fact]
    public void AFolderGivenAsTheEmbeddingsFileIsNamedAsAFolder()
    {
        string folder = Directory.CreateDirectory(Path.Combine(dir, "vectors")).FullName;
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", Write("in.txt", "hei\n"), "--output", folder), 1,
            $"{folder}: is a folder; name a file to write");
    }

    /// <summary>"1 pairs; at least 5 are needed".</summary>
    [Fact]
    public void TooFewAdapterPairsAreCountedInGoodEnglish() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("adapter", "train", "--model", Model, "--data", Write("one.csv", "anchor,positive\nhei,hallo\n"),
            "--output", Path.Combine(dir, "ad")), 1, "one.csv: 1 pair; at least 5 are needed");
}
