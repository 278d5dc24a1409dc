using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests;

/// <summary>
/// <see cref="SentenceEncoder.Dispose"/>: the files its vocabulary tables are read from close, and afterwards the model
/// (and every model sharing its transformer) refuses work with <see cref="ObjectDisposedException"/> naming its folder.
/// A load that fails after a vocabulary table was left in its file (a key missing further on, an adapter that does not
/// merge) closes that file itself (Linux: /proc/self/fd).
/// </summary>
public sealed class SentenceEncoderDisposalTests
{
    private static readonly string Folder = TestPaths.FixtureModel("bert-cased-mean");

    [Fact]
    public void ADisposedModelRefusesWorkNamingItsFolderAndDisposingTwiceIsFine()
    {
        var model = SentenceEncoder.Load(Folder);
        Assert.False(model.IsDisposed);
        model.Dispose();
        model.Dispose();
        Assert.True(model.IsDisposed);
        var encode = Assert.Throws<ObjectDisposedException>(() => model.Encode(["Hei verden"]));
        Assert.StartsWith(Folder + ":", encode.Message);
        Assert.DoesNotContain('\n', encode.Message); // one line, for the CLI
        Assert.Throws<ObjectDisposedException>(() => model.Encode("Hei verden"));
        Assert.Throws<ObjectDisposedException>(() => model.Tokenize(["Hei verden"]));
        Assert.Throws<ObjectDisposedException>(() => model.KeepPackedOnly());
        Assert.Throws<ObjectDisposedException>(() => model.AsSparse(new SpladeConfig()));
        Assert.Throws<ObjectDisposedException>(() => model.Forward(new Tape(recording: false),
            new ModelInputs([model.Tokenizer.Encode("Hei", true)], 0, null, false)));
        Assert.True(model.Dimension > 0); // what describes the model stays readable
    }

    [Fact]
    public void DisposingClosesTheFilesTheVocabularyTablesAreReadFrom()
    {
        var model = SentenceEncoder.Load(Folder);
        var table = model.Parameters.First(p => p.IsFileBacked);
        int width = table.Shape[1];
        var row = new float[width];
        table.Widen(0, row); // row 0 read and kept before the model is disposed
        model.Dispose();
        table.Widen(0, row); // a kept row stays readable
        Assert.Throws<ObjectDisposedException>(() => table.Widen((table.Shape[0] - 1) * width, row)); // an unread one would need the file
    }

    [Fact]
    public void AModelSharingTheTransformerIsDisposedWithIt()
    {
        var dense = SentenceEncoder.Load(Folder);
        var sparse = dense.AsSparse(new SpladeConfig());
        Assert.NotEmpty(sparse.Encode(["Hei verden"])[0]);
        dense.Dispose();
        Assert.True(sparse.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => sparse.Encode(["Hei verden"]));

        var first = SentenceEncoder.Load(Folder);
        var second = first.AsSparse(new SpladeConfig());
        second.Dispose(); // either end disposes both
        Assert.Throws<ObjectDisposedException>(() => first.Encode(["Hei verden"]));
    }

    [Fact]
    public void EncodingOnOtherThreadsWhileItIsDisposedFinishesOrThrowsObjectDisposedException()
    {
        // A server stopping: requests still encoding while the model is disposed. Each batch either runs (a pass in
        // flight finishes before the files close) or is refused with ObjectDisposedException naming the folder; words
        // not read from the vocabulary table yet are in every batch, so a pass after the close would need the file.
        var model = SentenceEncoder.Load(Folder);
        using var start = new Barrier(5);
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        int finished = 0;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                for (int k = 0; k < 200; k++)
                {
                    model.Encode([.. Enumerable.Range(0, 8).Select(i => $"ord{t}x{k}y{i} fjord{k * 8 + i} hytte{t * 1000 + k}")], new EncodeOptions { BatchSize = 2 });
                    Interlocked.Increment(ref finished);
                }
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        start.SignalAndWait();
        SpinWait.SpinUntil(() => Volatile.Read(ref finished) >= 4, TimeSpan.FromSeconds(30));
        model.Dispose();
        threads.ForEach(t => t.Join());
        Assert.NotEmpty(errors); // disposed while they were encoding
        Assert.All(errors, e => Assert.StartsWith(Folder + ":", Assert.IsType<ObjectDisposedException>(e).Message));
    }

    [Fact]
    public void DisposingOneLoadLeavesAnotherLoadOfTheSameFolderWorking()
    {
        var a = SentenceEncoder.Load(Folder);
        var b = SentenceEncoder.Load(Folder);
        a.Dispose();
        Assert.Equal(b.Dimension, b.Encode(["Hei verden"])[0].Length);
    }

    [Fact]
    public void ALoadThatFailsAfterReadingTheWeightsLeavesNoFileOpen()
    {
        if (!OpenFiles.Visible) return;
        // layer 1's query weight missing: the build fails after the word embeddings were left in the file
        string folder = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string weights = Path.Combine(folder, "model.safetensors");
        var tensors = new List<TensorToWrite>();
        using (var st = SafeTensorsFile.Open(weights))
        {
            foreach (var (key, info) in st.Tensors.Where(t => t.Key != "encoder.layer.1.attention.self.query.weight"))
                tensors.Add(new(key, info.Shape, st.ReadFloat32(key)));
        }
        SafeTensorsWriter.Write(weights, tensors);
        Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(folder));
        Assert.Equal(0, OpenFiles.Count(weights));

        // an adapter without its weights file: merged after the build
        string intact = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string adapter = Directory.CreateDirectory(Path.Combine(TestPaths.NewTempDir(), "adapter")).FullName;
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"),
            "{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": 4, \"target_modules\": [\"query\"], \"base_model_name_or_path\": \"x\"}");
        Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(intact, [adapter]));
        Assert.Equal(0, OpenFiles.Count(Path.Combine(intact, "model.safetensors")));
    }
}
