using Skald.Cli.Pipeline;
using Skald.Tokenizers.Training;

namespace Skald.Cli.Tests;

/// <summary>
/// A pipeline's tokenizer stage writes tokenizer.json through a temporary sibling and a rename (AtomicFile), as every
/// output a later stage reads: the new file replaces the old one whole, it is not written into it in place. Shown with a
/// hard link, which an in-place write (File.WriteAllText, as before) writes through to the file it shares its bytes with.
/// </summary>
public sealed class PipelineTokenizerWriteTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void TheTokenizerReplacesTheOldFileInsteadOfWritingIntoIt()
    {
        string other = Path.Combine(dir, "kept.json"), path = Path.Combine(dir, "tok", "tokenizer.json");
        File.WriteAllText(other, "{\"an\": \"earlier file\"}");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var link = System.Diagnostics.Process.Start("ln", [other, path]);
        link.WaitForExit();
        Assert.Equal(0, link.ExitCode);
        var corpus = Enumerable.Range(0, 50).Select(i => $"Ferja {i} går frå kaia klokka {i % 12} kvar morgon.");
        Assert.Equal(path, Stages.TrainTokenizer(corpus, new TokenizerTrainingOptions { Kind = TokenizerKind.WordPiece, VocabSize = 200 }, path));
        Assert.Equal("{\"an\": \"earlier file\"}", File.ReadAllText(other));
        Assert.Contains("\"model\"", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!)); // nothing staged left beside it
    }
}
