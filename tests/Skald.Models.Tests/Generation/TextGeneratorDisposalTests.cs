using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="TextGenerator.Dispose"/>: the file the decoder's vocabulary table is read from closes (when no generation
/// is running, else when the last one returns), and afterwards the generator refuses work with
/// <see cref="ObjectDisposedException"/> naming its folder. Seen from the files this process holds open (Linux).
/// </summary>
public sealed class TextGeneratorDisposalTests
{
    // decoder-llama3 keeps its embedding table in the first shard and its (untied) LM head in the second
    private const string EmbeddingShard = "model-00001-of-00002.safetensors";

    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = 6 };

    [Fact]
    public void ADisposedGeneratorRefusesWorkNamingItsFolderAndDisposingTwiceIsFine()
    {
        string folder = TestPaths.FixtureModel("decoder-llama3");
        var generator = TextGenerator.Load(folder);
        int[] prompt = generator.Tokenize(GenerationInput.FromPrompt("Hei"));
        Assert.Single(generator.Generate([prompt], Greedy));
        Assert.False(generator.IsDisposed);
        generator.Dispose();
        generator.Dispose();
        Assert.True(generator.IsDisposed);
        var generate = Assert.Throws<ObjectDisposedException>(() => generator.Generate([prompt], Greedy));
        Assert.StartsWith(folder + ":", generate.Message);
        Assert.DoesNotContain('\n', generate.Message);
        Assert.Throws<ObjectDisposedException>(() => generator.GenerateBatch([prompt], [0], Greedy));
        Assert.Throws<ObjectDisposedException>(() => generator.GenerateTogether([prompt], [Greedy]));
        Assert.Throws<ObjectDisposedException>(() => generator.Tokenize(GenerationInput.FromPrompt("Hei")));
        Assert.Throws<ObjectDisposedException>(() => generator.KeepInt8Only());
        Assert.True(generator.Context > 0); // what describes the model stays readable
    }

    [Fact]
    public void DisposingClosesTheFileTheVocabularyTableIsReadFrom()
    {
        if (!OpenFiles.Visible) return; // the open files are looked at where Linux shows them
        string folder = TestPaths.CopyOfFixtureModel("decoder-llama3");
        string shard = Path.Combine(folder, EmbeddingShard);
        var generator = TextGenerator.Load(folder);
        Assert.Contains(generator.Decoder.Parameters, p => p.IsFileBacked);
        Assert.True(OpenFiles.Count(shard) > 0); // the table's file, and the matrices' left there until first used
        generator.Dispose();
        Assert.Equal(0, OpenFiles.Count(shard));
    }

    [Fact]
    public void AGenerationRunningWhenItIsDisposedFinishesAndTheFileClosesWhenItReturns()
    {
        string folder = TestPaths.CopyOfFixtureModel("decoder-llama3");
        string shard = Path.Combine(folder, EmbeddingShard);
        var reference = TextGenerator.Load(folder);
        int[] prompt = reference.Tokenize(GenerationInput.FromPrompt("Hei"));
        var expected = reference.Generate([prompt], Greedy)[0];
        reference.Dispose();

        var generator = TextGenerator.Load(folder);
        int openWhileRunning = -1;
        var result = generator.Generate([prompt], Greedy, onText: (_, _) =>
        {
            if (generator.IsDisposed) return;
            generator.Dispose(); // from the generating thread itself: nothing to wait for, nothing cut short
            openWhileRunning = OpenFiles.Visible ? OpenFiles.Count(shard) : 1;
        })[0];
        Assert.True(generator.IsDisposed);
        Assert.Equal(expected.Ids, result.Ids);
        Assert.True(openWhileRunning > 0); // still open while the generation ran
        if (OpenFiles.Visible) Assert.Equal(0, OpenFiles.Count(shard)); // closed when it returned
    }

    [Fact]
    public void ALoadThatFailsLeavesNoFileOpen()
    {
        if (!OpenFiles.Visible) return;
        string folder = TestPaths.CopyOfFixtureModel("decoder-llama3");
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), "{}"); // read after the weights
        Assert.Throws<Skald.Tokenizers.TokenizerException>(() => TextGenerator.Load(folder));
        Assert.Equal(0, OpenFiles.Count(Path.Combine(folder, EmbeddingShard)));
    }
}
