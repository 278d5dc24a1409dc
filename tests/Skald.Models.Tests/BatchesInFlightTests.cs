using Skald.Models.CrossEncoders;
using Skald.Models.LateInteraction;
using Skald.Tensors;
using Skald.Tensors.Quantization;
using Skald.Tests;

namespace Skald.Models.Tests;

/// <summary>
/// Encode with more texts than its batch size runs whole batches at once, one on each thread, each op of a batch on
/// its thread alone (<see cref="InFlightBatches"/>): the embeddings are the bits one batch at a time gives at one
/// thread (the reference), for an encoder, a decoder and a 256-wide BERT (whose products take the big-matrix paths:
/// packed panels, AMX pieces), float32 on a fresh model (its weights packed lazily by the first batch), packed-only,
/// int8-only and bfloat16-only; the cross-encoder's Predict and ColBERT's document encoding likewise. Batches do run at
/// once (two passes each wait in a layer until the other has started one), progress counts every text once, and a
/// token cancelled within the in-flight batches stops them with the model unharmed. Sets Parallelism.MaxThreads:
/// runs alone.
/// </summary>
[Collection(ProcessSettingsCollection.Name)]
public sealed class BatchesInFlightTests : IDisposable
{
    private static readonly string[] Lines = [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0)];

    // 41 texts of mixed lengths: with batches of 4, eleven batches, the last one short.
    private static readonly string[] Texts = [.. Enumerable.Range(0, 41).Select(i =>
        string.Join(' ', Enumerable.Range(0, 1 + i % 4).Select(k => Lines[(i + 3 * k) % Lines.Length])))];

    private static readonly EncodeOptions Batches = new() { BatchSize = 4 };

    private readonly int threadsWere = Parallelism.MaxThreads;
    private readonly string dir = Path.Combine(Path.GetTempPath(), "skald-inflight-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Parallelism.MaxThreads = threadsWere;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        try { if (Directory.Exists(dir)) Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Theory]
    [InlineData("bert-cased-mean", "float32")]
    [InlineData("bert-cased-mean", "packed-only")]
    [InlineData("bert-cased-mean", "int8-only")]
    [InlineData("bert-cased-mean", "bf16-only")]
    [InlineData("decoder-qwen2", "float32")]
    [InlineData("decoder-qwen2", "packed-only")]
    [InlineData("decoder-qwen2", "int8-only")]
    [InlineData("wide-bert", "float32")]
    [InlineData("wide-bert", "packed-only")]
    [InlineData("wide-bert", "int8-only")]
    [InlineData("wide-bert", "bf16-only")]
    public void BatchesInFlightGiveTheBitsOfOneBatchAtATimeOnOneThread(string fixture, string mode)
    {
        if (mode == "bf16-only" && !Bf16Gemm.IsSupported) return; // (float32 there: the float32 rows cover it)
        string folder = fixture == "wide-bert" ? WideBert() : TestPaths.FixtureModel(fixture);
        var options = fixture == "wide-bert" ? Batches with { BatchSize = 12 } : Batches;
        Parallelism.MaxThreads = 1;
        using var reference = Load(folder, mode);
        var expected = reference.Encode(Texts, options with { BatchesInFlight = false });

        Parallelism.MaxThreads = 2;
        using var model = Load(folder, mode); // a fresh model: its first batch packs, quantises or releases the weights
        var inFlight = model.Encode(Texts, options);
        var oneAtATime = model.Encode(Texts, options with { BatchesInFlight = false });

        AssertSame(expected, inFlight, "in flight");
        AssertSame(expected, oneAtATime, "one batch at a time on two threads");
    }

    [Fact]
    public void BatchesRunAtOnceEachOnItsOwnThreadAndTape()
    {
        Parallelism.MaxThreads = 2;
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        int layers = model.Transformer.Config.NumLayers, calls = 0;
        var threads = new HashSet<int>();
        using var both = new ManualResetEventSlim();
        bool waited = false;
        model.InferenceTape.LayerStarting = () =>
        {
            if (Interlocked.Increment(ref calls) <= layers) return; // the first batch: alone, as before
            lock (threads)
            {
                if (threads.Add(Environment.CurrentManagedThreadId) && threads.Count == 2) both.Set();
                if (waited) return;
                waited = true; // one wait in all: without batches in flight it would only time out
            }
            both.Wait(TimeSpan.FromSeconds(60)); // no timing: the other thread's pass starts a layer, or never does
        };

        var embeddings = model.Encode(Texts, Batches);

        Assert.True(both.IsSet, "no two batches were in flight at once on two threads");
        Assert.Equal(1, model.BatchLoop.ExtraTapes);
        model.InferenceTape.LayerStarting = null;
        AssertSame(embeddings, model.Encode(Texts, Batches with { BatchesInFlight = false }), "again one at a time");
    }

    [Fact]
    public void ProgressCountsEveryTextOnceAndOneCallABatch()
    {
        Parallelism.MaxThreads = 2;
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var calls = new List<(int Done, int Total)>();
        int inside = 0, overlapped = 0;
        model.Encode(Texts, Batches with
        {
            Progress = (done, total) =>
            {
                if (Interlocked.Increment(ref inside) != 1) Interlocked.Exchange(ref overlapped, 1);
                calls.Add((done, total));
                Interlocked.Decrement(ref inside);
            },
        });

        Assert.Equal(0, overlapped);
        Assert.Equal((Texts.Length + Batches.BatchSize - 1) / Batches.BatchSize, calls.Count);
        Assert.All(calls, c => Assert.Equal(Texts.Length, c.Total));
        Assert.Equal(Texts.Length, calls[^1].Done);
        for (int i = 0; i < calls.Count; i++)
        {
            int step = calls[i].Done - (i == 0 ? 0 : calls[i - 1].Done);
            Assert.True(step is 4 or 1, $"call {i} counted {step} texts"); // (41 texts: ten batches of 4 and one of 1)
        }
    }

    [Fact]
    public void ATokenCancelledWhileBatchesAreInFlightStopsThemAndTheModelGivesWhatItGaveBefore()
    {
        Parallelism.MaxThreads = 2;
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("decoder-qwen2"));
        var before = model.Encode(Texts, Batches);
        using var cancel = new CancellationTokenSource();
        int layers = model.Transformer.Config.NumLayers, calls = 0, afterCancel = 0;
        model.InferenceTape.LayerStarting = () =>
        {
            int n = Interlocked.Increment(ref calls);
            if (n == 3 * layers + 1) cancel.Cancel(); // a layer of a batch in flight (the first batch has run)
            else if (n > 3 * layers + 1 && cancel.IsCancellationRequested) Interlocked.Increment(ref afterCancel);
        };

        var thrown = Assert.Throws<OperationCanceledException>(() => model.Encode(Texts, Batches, cancel.Token));

        Assert.Equal(cancel.Token, thrown.CancellationToken);
        Assert.True(afterCancel <= 1, $"{afterCancel} layers started after the cancel"); // at most the other thread's, already past its look
        Assert.Equal(default, model.InferenceTape.Cancellation);
        model.InferenceTape.LayerStarting = null;
        AssertSame(before, model.Encode(Texts, Batches), "after the cancelled call");
    }

    [Theory]
    [InlineData("ce-bert")]
    [InlineData("ce-qwen3")]
    public void ACrossEncodersPredictInFlightGivesTheScoresOfOneBatchAtATime(string fixture)
    {
        var pairs = Texts.Select(t => ("Kva tid går ferja?", t)).ToArray();
        var options = new CrossEncoderOptions { BatchSize = 4 };
        Parallelism.MaxThreads = 1;
        using var reference = CrossEncoder.Load(TestPaths.FixtureModel(fixture));
        var expected = reference.Predict(pairs, options with { BatchesInFlight = false });
        Parallelism.MaxThreads = 2;
        using var model = CrossEncoder.Load(TestPaths.FixtureModel(fixture));
        AssertSame(expected, model.Predict(pairs, options), "in flight");
    }

    [Fact]
    public void ColbertDocumentsInFlightGiveTheVectorsOfOneBatchAtATime()
    {
        Parallelism.MaxThreads = 1;
        using var reference = ColbertEncoder.Load(TestPaths.FixtureModel("colbert-bert-tiny"));
        var expected = reference.EncodeDocuments(Texts, batchSize: 4);
        Parallelism.MaxThreads = 2;
        using var model = ColbertEncoder.Load(TestPaths.FixtureModel("colbert-bert-tiny"));
        var actual = model.EncodeDocuments(Texts, batchSize: 4);
        AssertSame([.. expected.Select(v => v.Values)], [.. actual.Select(v => v.Values)], "in flight");
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First.TokenIds, p.Second.TokenIds));
    }

    // The fixture loaded and made float32 (its weights packed lazily at the first pass), packed-only, int8-only or bf16-only.
    private static SentenceEncoder Load(string folder, string mode)
    {
        var model = SentenceEncoder.Load(folder);
        if (mode == "packed-only") model.KeepPackedOnly();
        else if (mode == "int8-only") model.KeepInt8Only();
        else if (mode == "bf16-only") model.KeepBf16Only();
        return model;
    }

    // bert-cased-mean's config 256 wide (intermediate 1024, 4 heads), a float32 checkpoint with the fixture's tokenizer
    // (mean pooling by default).
    private string WideBert() => InitializedModelFolder.Write("bert-cased-mean", dir, config =>
    {
        config["hidden_size"] = 256;
        config["intermediate_size"] = 1024;
    }, seed: 11);

    private static void AssertSame(float[][] expected, float[][] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"{what}: row {i} differs");
    }
}
