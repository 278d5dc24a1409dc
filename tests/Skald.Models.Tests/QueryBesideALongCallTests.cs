using Skald.Models.CrossEncoders;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests;

/// <summary>
/// A one-text query on another thread beside a long call on the same model (an encoder's Encode, a cross-encoder's
/// Predict; batches one at a time or in flight) has its turn before the long call's next batch or round: the long call
/// is held in a layer of its second batch (its pass holds the model's gate) until the query waits for the gate, and no
/// later batch or round of the long call may start a layer before the query is through (order alone, no timing). The
/// query is a library Encode / Predict, or skald serve's batcher pass (<see cref="SentenceEncoder.InferOn"/>); its
/// result is the bits it gives alone. Sets Parallelism.MaxThreads: runs alone.
/// </summary>
[Collection(ProcessSettingsCollection.Name)]
public sealed class QueryBesideALongCallTests : IDisposable
{
    private static readonly string[] Lines = [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0)];
    private static readonly string[] Texts = [.. Enumerable.Range(0, 29).Select(i => Lines[i % Lines.Length])]; // batches of 4: eight
    private const string Query = "Kva tid går ferja?";

    private readonly int threadsWere = Parallelism.MaxThreads;

    public void Dispose() => Parallelism.MaxThreads = threadsWere;

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void AQueryBesideALongEncodeGoesBeforeItsNextBatchOrRound(bool inFlight, bool batcherPass)
    {
        Parallelism.MaxThreads = 2;
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var alone = model.Encode(Query);
        var tape = new Tape(recording: false);
        float[]? answer = null;
        int started = Run(model.InferenceTape, tape, model.Gate, model.Transformer.Config.NumLayers, inFlight,
            () => model.Encode(Texts, new EncodeOptions { BatchSize = 4, BatchesInFlight = inFlight }),
            () => answer = batcherPass
                ? model.InferOn(tape, model.Prepare([Query]), CancellationToken.None).Span.ToArray()
                : model.Encode(Query));

        Assert.Equal(0, started);
        Assert.True(alone.AsSpan().SequenceEqual(answer), "the query's embedding differs from its own");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AQueryBesideALongPredictGoesBeforeItsNextBatchOrRound(bool inFlight)
    {
        Parallelism.MaxThreads = 2;
        using var model = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        var pairs = Texts.Select(t => (Query, t)).ToArray();
        var alone = model.Predict([(Query, Lines[0])]);
        float[][]? answer = null;
        int started = Run(model.InferenceTape, null, model.Gate, model.Transformer.Config.NumLayers, inFlight,
            () => model.Predict(pairs, new CrossEncoderOptions { BatchSize = 4, BatchesInFlight = inFlight }),
            () => answer = model.Predict([(Query, Lines[0])]));

        Assert.Equal(0, started);
        Assert.True(alone[0].AsSpan().SequenceEqual(answer![0]), "the query's score differs from its own");
    }

    // Runs the long call with the query started from its second batch's first layer; the layers the long call started
    // after that batch (one at a time) or round (in flight: batches 1 and 2 on two threads) before the query was through
    // (its pass, on the inference tape or on queryTape, has started its last layer: it holds the gate to its end).
    private static int Run(Tape inference, Tape? queryTape, InferenceGate gate, int layers, bool inFlight, Action longCall,
        Action query)
    {
        int calls = 0, queryLayers = 0, early = 0;
        Exception? failed = null;
        var asker = new Thread(() =>
        {
            try
            {
                query();
            }
            catch (Exception e)
            {
                failed = e; // (an exception escaping a thread would end the test process)
            }
        });
        int boundary = (inFlight ? 3 : 2) * layers; // the long call's layers up to the end of the query's batch or round
        Action hook = () =>
        {
            if (Environment.CurrentManagedThreadId == asker.ManagedThreadId)
            {
                Interlocked.Increment(ref queryLayers);
                return;
            }
            int n = Interlocked.Increment(ref calls);
            if (n == layers + 1)
            {
                asker.Start();
                // the query waits for the gate this batch holds (the minute only turns a hang into a failure)
                Assert.True(SpinWait.SpinUntil(() => gate.Waiting == 1, TimeSpan.FromMinutes(1)), "the query never waited");
            }
            else if (n > boundary && Volatile.Read(ref queryLayers) < layers) Interlocked.Increment(ref early);
        };
        inference.LayerStarting = hook;
        if (queryTape is not null) queryTape.LayerStarting = hook;
        try
        {
            longCall();
        }
        finally
        {
            inference.LayerStarting = null;
        }
        Assert.True(asker.Join(TimeSpan.FromMinutes(1)), "the query never finished");
        Assert.Null(failed);
        Assert.True(calls > boundary, "the long call had no batch after the query's");
        Assert.Equal(layers, queryLayers);
        return early;
    }
}
