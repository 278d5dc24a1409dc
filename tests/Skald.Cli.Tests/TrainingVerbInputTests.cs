namespace Skald.Cli.Tests;

/// <summary>
/// Hostile input to the training and data verbs: an output that is an input, a corpus with no text, a local upload
/// mistake behind a missing token. One line naming the file or option, a non-zero exit, nothing written or replaced.
/// </summary>
public sealed class TrainingVerbInputTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Write(string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void MineNegativesDoesNotWriteOverItsDataOrCorpus()
    {
        string pairs = string.Concat(Enumerable.Range(0, 12).Select(i => $"{{\"anchor\": \"spørsmål {i} om tog\", \"positive\": \"svar {i} om tog\"}}\n"));
        string data = Write("pairs.jsonl", pairs);
        var r = SkaldProcess.Run("data", "mine-negatives", "--data", data, "--output", data, "--model", "bm25");
        SkaldProcess.AssertUserError(r, 2, $"--output {data} is the input {data}");
        Assert.Equal(pairs, File.ReadAllText(data));
        string corpus = Write("corpus.jsonl", "{\"text\": \"Toget går klokka sju.\"}\n");
        r = SkaldProcess.Run("data", "mine-negatives", "--data", data, "--output", Path.Combine(dir, ".", "corpus.jsonl"), "--model", "bm25",
            "--corpus", corpus);
        SkaldProcess.AssertUserError(r, 2, "is the input " + corpus);
        Assert.Equal("{\"text\": \"Toget går klokka sju.\"}\n", File.ReadAllText(corpus));
    }
}
