namespace Skald.Cli.Tests;

/// <summary>
/// Hostile input to the training and data verbs: an output that is an input, a corpus with no text, a local upload
/// mistake behind a missing token. One line naming the file or option, a non-zero exit, nothing written or replaced.
/// </summary>
public sealed class TrainingVerbInputTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Write(string name, string text) => TestPaths.WriteFile(dir, name, text);

    [Fact]
    public void MineNegativesDoesNotWriteOverItsDataOrCorpus()
    {
        string pairs = string.Concat(Enumerable.Range(0, 12).Select(i => $"{{\"anchor\": \"spørsmål {i} om tog\", \"positive\": \"svar {i} om tog\"}}\n"));
        string data = Write("pairs.jsonl", pairs);
        var r = InProcessSkald.Capture("data", "mine-negatives", "--data", data, "--output", data, "--model", "bm25");
        SkaldProcess.AssertUserError(r, 2, $"--output {data} is the input {data}");
        Assert.Equal(pairs, File.ReadAllText(data));
        string corpus = Write("corpus.jsonl", "{\"text\": \"Toget går klokka sju.\"}\n");
        r = InProcessSkald.Capture("data", "mine-negatives", "--data", data, "--output", Path.Combine(dir, ".", "corpus.jsonl"), "--model", "bm25",
            "--corpus", corpus);
        SkaldProcess.AssertUserError(r, 2, "is the input " + corpus);
        Assert.Equal("{\"text\": \"Toget går klokka sju.\"}\n", File.ReadAllText(corpus));
    }

    [Fact]
    public void TokenizerTrainRefusesACorpusOfWhitespaceAndNamesAFolderWithoutText()
    {
        string corpus = Write("blank.txt", "   \n\t\n \n");
        string output = Path.Combine(dir, "tokenizer.json");
        foreach (var kind in new[] { "wordpiece", "bpe", "unigram" })
        {
            var r = InProcessSkald.Capture("tokenizer", "train", "--corpus", corpus, "--kind", kind, "--vocab-size", "100", "--output", output);
            SkaldProcess.AssertUserError(r, 1, $"{corpus}: no text lines to train on (only whitespace)");
            Assert.False(File.Exists(output));
        }
        string folder = Path.Combine(dir, "texts");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllText(Path.Combine(folder, "sub", "a.txt"), "Hei\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("tokenizer", "train", "--corpus", folder, "--kind", "bpe", "--vocab-size", "100", "--output", output),
            1, $"{folder}: no corpus files (.txt) found");
    }

    [Fact]
    public void StaticDistillRefusesACorpusWithoutTextOrAFolder()
    {
        string corpus = Write("blank.txt", "\n  \n");
        string output = Path.Combine(dir, "static");
        var r = InProcessSkald.Capture("static", "distill", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--output", output, "--dim", "8",
            "--corpus", corpus);
        SkaldProcess.AssertUserError(r, 1, $"{corpus}: no text lines (--corpus gives the token frequencies of the SIF weights)");
        Assert.False(Directory.Exists(output));
        r = InProcessSkald.Capture("static", "distill", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--output", output, "--dim", "8",
            "--corpus", dir);
        SkaldProcess.AssertUserError(r, 1, $"{dir}: is a folder; name a text file");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void StaticTrainNamesADimensionTooLargeForItsTable()
    {
        string output = Path.Combine(dir, "static");
        var r = InProcessSkald.Capture("static", "train", "--data", Path.Combine(TestPaths.RepoRoot, "samples", "data", "train-pairs.jsonl"),
            "--corpus", Path.Combine(TestPaths.RepoRoot, "samples", "data", "corpus.txt"), "--dim", "2000000000", "--output", output);
        SkaldProcess.AssertUserError(r, 1, "dimension 2000000000: a ", " × 2000000000 table is too large");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void UploadNamesAMissingFolderBeforeAskingForTheHub()
    {
        string missing = Path.Combine(dir, "no-such-model");
        var offline = new Dictionary<string, string> { ["HF_HUB_OFFLINE"] = "1" };
        var r = SkaldProcess.RunWith(null, offline, "upload", "--repo", "org/name", "--folder", missing);
        SkaldProcess.AssertUserError(r, 1, $"{missing}: no such file or folder");
        r = SkaldProcess.RunWith(null, offline, "upload", "--repo", "org/name", "--folder", dir, "--path-in-repo", "../x");
        SkaldProcess.AssertUserError(r, 1, "\"../x\": a path in the repository may not go through .git, .cache or ..");
        Directory.CreateDirectory(Path.Combine(dir, "empty"));
        r = SkaldProcess.RunWith(null, offline, "upload", "--repo", "org/name", "--folder", Path.Combine(dir, "empty"));
        SkaldProcess.AssertUserError(r, 1, $"{Path.Combine(dir, "empty")}: no files to upload");
    }
}
