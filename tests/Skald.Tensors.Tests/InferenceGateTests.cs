using Skald.Tensors.Autograd;

namespace Skald.Tensors.Tests;

/// <summary>
/// A model's inference gate (<see cref="InferenceGate"/>) under a long batch loop (<see cref="InFlightBatches.Run"/>):
/// a caller that starts waiting while a batch (one at a time) or a round (in flight) holds the gate has its turn before
/// the loop's next batch or round starts, shown by order alone (a batch waits until the caller is counted as waiting,
/// then every later batch looks whether the caller is through). A batch that throws or a cancelled token leaves the
/// gate free with no one counted. Sets Parallelism.MaxThreads: runs alone.
/// </summary>
[Collection(ProcessSettingsCollection.Name)]
public sealed class InferenceGateTests : IDisposable
{
    private readonly int threadsWere = Parallelism.MaxThreads;

    public void Dispose() => Parallelism.MaxThreads = threadsWere;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ACallerWaitingWhenABatchOrRoundEndsGoesBeforeTheNextOne(bool inFlight)
    {
        Parallelism.MaxThreads = 2;
        const int Batches = 7;
        Assert.Equal(inFlight, InFlightBatches.Applies(Batches, inFlight));
        var gate = new InferenceGate();
        var loop = new InFlightBatches(new Tape(recording: false));
        int queryDone = 0, startedBeforeQuery = -1;
        Thread? query = null;
        // one at a time: batch 1 holds the gate, batch 2 is next; in flight (two threads): round {1, 2}, then {3, 4}
        int next = inFlight ? 3 : 2;
        loop.Run(Batches, inFlight, gate, CancellationToken.None, (_, i) =>
        {
            if (i == 1)
            {
                query = new Thread(() =>
                {
                    using (gate.Enter()) Volatile.Write(ref queryDone, 1);
                });
                query.Start();
                // the query waits for the gate this batch holds (the minute only turns a hang into a failure)
                Assert.True(SpinWait.SpinUntil(() => gate.Waiting == 1, TimeSpan.FromMinutes(1)), "the query never waited");
            }
            else if (i >= next && Volatile.Read(ref queryDone) == 0) Interlocked.CompareExchange(ref startedBeforeQuery, i, -1);
        }, null);
        Assert.True(query!.Join(TimeSpan.FromSeconds(60)), "the query never got the gate");

        Assert.Equal(-1, startedBeforeQuery); // no batch after the holding one's batch or round ran before the query
        Assert.Equal(0, gate.Waiting);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ABatchThatThrowsOrACancelledTokenLeavesTheGateFree(bool inFlight)
    {
        Parallelism.MaxThreads = 2;
        var gate = new InferenceGate();
        var loop = new InFlightBatches(new Tape(recording: false));
        var thrown = Assert.Throws<InvalidOperationException>(() => loop.Run(5, inFlight, gate, CancellationToken.None,
            (_, i) =>
            {
                if (i == 2) throw new InvalidOperationException("batch 2");
            }, null));
        Assert.Equal("batch 2", thrown.Message);
        AssertFree(gate);

        using var cancel = new CancellationTokenSource();
        int ran = 0;
        Assert.Throws<OperationCanceledException>(() => loop.Run(9, inFlight, gate, cancel.Token, (_, i) =>
        {
            Interlocked.Increment(ref ran);
            if (i == 1) cancel.Cancel();
        }, null));
        Assert.True(ran < 9, $"{ran} batches ran after the cancel");
        AssertFree(gate);
    }

    // Nobody is counted as waiting and another thread enters at once (it would wait forever for a gate left held).
    private static void AssertFree(InferenceGate gate)
    {
        Assert.Equal(0, gate.Waiting);
        Assert.False(gate.IsHeldByCurrentThread);
        var other = new Thread(() =>
        {
            using (gate.Enter()) { }
        });
        other.Start();
        Assert.True(other.Join(TimeSpan.FromSeconds(60)), "the gate was left held");
    }
}
