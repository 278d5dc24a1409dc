namespace Skald.Tensors;

/// <summary>
/// The turn a model's inference passes take on its weights (a weight's lazy forms, packed panels, int8 or bfloat16
/// copies, are made by one pass at a time): one holder at a time, as a <see cref="Lock"/>, and a caller waiting for it
/// goes before a long call's next batch or round. A <see cref="Lock"/> alone is not fair: a long call that lets it go
/// between its batches takes it straight back, so a one-text query on another thread (a server's request, a library
/// call) could lose the race at the end of every batch and wait for the whole call. So every entry counts itself as
/// waiting until it holds the gate (<see cref="Enter"/>), and a long call entering again for its next batch or round
/// (<see cref="EnterAfterWaiters"/>) first lets everyone who is waiting through. Two long calls thus take turns batch by
/// batch; a stream of queries can hold a long call back, never the other way round. Allocation-free; a waiter's count
/// is taken back however its entry ends. Reentrant, as <see cref="Lock"/> is.
/// </summary>
public sealed class InferenceGate
{
    private readonly Lock turn = new();
    private int waiting;

    /// <summary>Callers waiting to enter now (a gauge: for tests and diagnostics).</summary>
    public int Waiting => Volatile.Read(ref waiting);

    /// <summary>Whether the calling thread holds the gate.</summary>
    public bool IsHeldByCurrentThread => turn.IsHeldByCurrentThread;

    /// <summary>Waits for the gate and holds it until the returned scope is disposed (<c>using (gate.Enter())</c>).</summary>
    public Lock.Scope Enter()
    {
        Interlocked.Increment(ref waiting);
        try
        {
            return turn.EnterScope();
        }
        finally
        {
            Interlocked.Decrement(ref waiting);
        }
    }

    /// <summary>
    /// <see cref="Enter"/> for a long call's next batch or round: first waits until no caller is waiting to enter (each
    /// has had its turn, or holds the gate now), then waits in line as any caller does. A thread that holds the gate
    /// already enters again at once.
    /// </summary>
    public Lock.Scope EnterAfterWaiters()
    {
        if (!turn.IsHeldByCurrentThread)
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref waiting) > 0) spin.SpinOnce(); // yields, then sleeps: a turn is a whole pass
        }
        return Enter();
    }
}
