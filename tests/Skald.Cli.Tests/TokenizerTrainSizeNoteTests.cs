using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald tokenizer train</c> says why the vocabulary is not the size asked for, when it is not (a byte-level BPE
/// asked for 10 tokens holds its 256 bytes anyway; a tiny corpus runs out of words), and says nothing more when it is.
/// </summary>
public sealed class TokenizerTrainSizeNoteTests
{
    private static readonly string Corpus = Path.Combine(TestPaths.RepoRoot, "samples", "data", "corpus.txt");

    /// <summary>The entries of the written tokenizer.json's model.vocab, counted from the file itself.</summary>
    private static int VocabEntries(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var vocab = doc.RootElement.GetProperty("model").GetProperty("vocab");
        return vocab.ValueKind == JsonValueKind.Array ? vocab.GetArrayLength() : vocab.EnumerateObject().Count();
    }

    [Fact]
    public void ABpeSmallerThanItsAlphabetIsExplained()
    {
        string output = Path.Combine(TestPaths.NewTempDir(), "tokenizer.json");
        var r = InProcessSkald.Capture("tokenizer", "train", "--corpus", Corpus, "--kind", "bpe", "--vocab-size", "10", "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(VocabEntries(output) >= 256, "a byte-level BPE holds every byte");
        Assert.Contains("(more than --vocab-size 10: the alphabet and the special tokens are always kept)", r.Stderr);
        Assert.DoesNotContain("skald: ", r.Stderr);
    }

    [Fact]
    public void ACorpusThatRunsOutOfWordsIsExplained()
    {
        string dir = TestPaths.NewTempDir(), corpus = Path.Combine(dir, "tiny.txt"), output = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(corpus, "hei på deg\nhei på deg\nhei igjen\n");
        var r = InProcessSkald.Capture("tokenizer", "train", "--corpus", corpus, "--kind", "wordpiece", "--vocab-size", "5000", "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(VocabEntries(output) < 5000);
        Assert.Contains("(fewer than --vocab-size 5000: the corpus holds no more seen at least --min-frequency 2 times)", r.Stderr);
    }

    [Fact]
    public void TheSizeAskedForGetsNoNote()
    {
        string output = Path.Combine(TestPaths.NewTempDir(), "tokenizer.json");
        var r = InProcessSkald.Capture("tokenizer", "train", "--corpus", Corpus, "--kind", "wordpiece", "--vocab-size", "2000", "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(2000, VocabEntries(output));
        Assert.Contains("with 2000 tokens", r.Stderr);
        Assert.DoesNotContain("--vocab-size", r.Stderr);
    }
}
