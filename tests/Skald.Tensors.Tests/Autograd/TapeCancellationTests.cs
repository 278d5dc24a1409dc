using Skald.Tensors.Autograd;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// A pass's cancellation token (<see cref="Tape.Cancellation"/>, <see cref="Tape.Pass"/>): looked at before each layer of a
/// stack, so a cancelled pass stops before its next layer, with the caller's token; cleared when the pass ends, and
/// never looked at while backward recomputes a checkpointed layer. Cancelled from inside the stack (a layer cancels
/// it): no timing.
/// </summary>
public sealed class TapeCancellationTests
{
    private const int Layers = 5;

    // One layer: doubles x and counts that it ran; the layer `cancelAt` (1-based) cancels the token as it runs.
    private readonly record struct Doubling(int[] Runs, int CancelAt, CancellationTokenSource? Source)
    {
        public static readonly Func<Tape, Variable, Doubling, Variable> Run = static (t, x, s) =>
        {
            if (++s.Runs[0] == s.CancelAt) s.Source!.Cancel();
            return Ops.Scale(t, x, 2f);
        };
    }

    private static Variable Stack(Tape tape, Doubling step)
    {
        var x = tape.Constant([1f, -1f, 0.5f], 1, 3, requiresGrad: tape.Recording);
        for (int i = 0; i < Layers; i++) x = tape.Layer(x, step, Doubling.Run);
        return x;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ACancelledTokenStopsThePassBeforeTheNextLayerWithThatToken(bool recording)
    {
        using var source = new CancellationTokenSource();
        var tape = new Tape(recording: recording);
        int[] runs = [0];
        OperationCanceledException thrown;
        using (tape.Pass(source.Token))
            thrown = Assert.Throws<OperationCanceledException>(() => Stack(tape, new Doubling(runs, 2, source)));
        Assert.Equal(source.Token, thrown.CancellationToken);
        Assert.Equal(2, runs[0]); // layer 2 cancelled as it ran; layers 3 to 5 never started
        Assert.Equal(default, tape.Cancellation); // the pass ended: the token is no longer the tape's

        runs[0] = 0;
        using (tape.Pass(CancellationToken.None))
        {
            var y = Stack(tape, new Doubling(runs, 0, null));
            Assert.Equal([32f, -32f, 16f], y.Span.ToArray());
        }
        Assert.Equal(Layers, runs[0]);
    }

    [Fact]
    public void LayerStartingIsToldBeforeEachLayer()
    {
        var tape = new Tape(recording: false);
        int started = 0;
        int[] runs = [0];
        tape.LayerStarting = () => Assert.Equal(started++, runs[0]); // before the layer's body
        Stack(tape, new Doubling(runs, 0, null));
        Assert.Equal(Layers, started);
    }

    // A layer made of one inner layer (as a block of sub-layers is): recomputing it in backward runs the inner Layer call again.
    private readonly record struct Nested(Doubling Inner)
    {
        public static readonly Func<Tape, Variable, Nested, Variable> Run = static (t, x, s) => t.Layer(x, s.Inner, Doubling.Run);
    }

    [Fact]
    public void BackwardRecomputingACheckpointedLayerDoesNotLookAtTheToken()
    {
        using var source = new CancellationTokenSource();
        var tape = new Tape { Checkpointing = true };
        int[] runs = [0];
        Variable x;
        using (tape.Pass(source.Token))
        {
            x = tape.Constant([1f, -1f, 0.5f], 1, 3, requiresGrad: true);
            for (int i = 0; i < Layers; i++) x = tape.Layer(x, new Nested(new Doubling(runs, 0, null)), Nested.Run);
        }
        Assert.Equal(Layers, runs[0]);
        tape.Cancellation = source.Token; // a token cancelled while the gradients are still owed
        source.Cancel();
        tape.Seed(x, [1f, 1f, 1f]);
        tape.Backward(); // each checkpointed layer runs again, its inner layer too, and is not stopped
        Assert.Equal(2 * Layers, runs[0]);
    }
}
