namespace Skald.Cli.Tests;

/// <summary><c>skald tokenizer train</c>: a tokenizer that loads, and bad input as one line before any training.</summary>
public sealed class TokenizerTrainCommandTests
{
    private static readonly string Corpus = Path.Combine(TestPaths.RepoRoot, "samples", "data", "corpus.txt");

    [Fact]
    public void TrainsATokenizerThatLoads()
    {
        string output = Path.Combine(TestPaths.NewTempDir(), "tokenizer.json");
        var r = InProcessSkald.Capture("tokenizer", "train", "--corpus", Corpus, "--kind", "wordpiece", "--vocab-size", "300", "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(Skald.Tokenizers.Tokenizer.FromFile(output).VocabSize > 100);
    }

    [Theory]
    [InlineData(",", "option --special-tokens: no tokens given")]
    [InlineData("[A],[B],[A]", "option --special-tokens: '[A]' is listed twice")]
    public void BadSpecialTokensAreAUsageError(string specials, string message)
    {
        string output = Path.Combine(TestPaths.NewTempDir(), "tokenizer.json");
        foreach (string kind in new[] { "wordpiece", "bpe", "unigram" })
        {
            SkaldProcess.AssertUserError(InProcessSkald.Capture("tokenizer", "train", "--corpus", Corpus, "--kind", kind, "--vocab-size", "300",
                "--special-tokens", specials, "--output", output), 2, message);
            Assert.False(File.Exists(output));
        }
    }

    [Fact]
    public void AFolderAsTheOutputIsNamedBeforeTraining()
    {
        string dir = TestPaths.NewTempDir();
        SkaldProcess.AssertUserError(InProcessSkald.Capture("tokenizer", "train", "--corpus", Corpus, "--kind", "wordpiece", "--vocab-size", "300",
            "--output", dir), 1, $"{dir}: is a folder; name a file to write");
        string file = Path.Combine(dir, "afile");
        File.WriteAllText(file, "x");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("tokenizer", "train", "--corpus", Corpus, "--kind", "wordpiece", "--vocab-size", "300",
            "--output", Path.Combine(file, "t.json")), 1, $"{file} is a file, not a folder");
    }

    [Fact]
    public void ACorpusWithoutTextIsNamed()
    {
        string dir = TestPaths.NewTempDir(), empty = Path.Combine(dir, "empty.txt"), output = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(empty, "\n\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("tokenizer", "train", "--corpus", empty, "--kind", "wordpiece", "--vocab-size", "300",
            "--output", output), 1, $"{empty}: no text lines to train on");
        Assert.False(File.Exists(output));
    }
}
