using Skald.Tensors.Autograd;

namespace Skald.Tensors;

/// <summary>
/// The batch loop of a model's many-batch inference call (an encoder's Encode, a cross-encoder's Predict): whole
/// batches in flight on each thread instead of every op of one batch split over the threads. The first batch runs
/// alone on the owner's tape, its ops split over the threads as today, and under the owner's lock: it makes the
/// weights' lazy forms (packed panels, AMX pieces, int8 or bfloat16 copies; packed-only and int8-only release), which
/// must not be made by two passes at once. The rest then run in rounds of one batch a thread, each round one parallel
/// region (<see cref="Parallelism.ForEach"/>) whose chunks are batches (batches differ in length: longest first, so
/// the first has the longest rows and every later pass finds each weight made, and a round's batches are neighbours in
/// length), each on a tape of its own (<see cref="Tape"/>s this object keeps, grow-only, one a thread of the region:
/// the owner's, then one more per extra thread, each holding one batch's activations once it has run one), every op
/// inside running inline on its thread: no joins between ops, one at the end of a round. The gate is taken for each
/// round, after the callers waiting for it (<see cref="InferenceGate.EnterAfterWaiters"/>), so another call on the same
/// weights (a server's query beside a long Encode) waits at most for one round, about one batch on one thread, and
/// the per-batch callback runs under it. One batch at a time, each batch after the first likewise lets waiting callers
/// go first. A row's embedding does not depend on its
/// batch's neighbours, its tape or the thread count, so the results are the same bits as one batch at a time.
/// </summary>
public sealed class InFlightBatches
{
    private readonly Tape owner;
    private readonly List<Tape> lanes = [];
    private readonly Stack<Tape> free = new();

    /// <summary>A loop over <paramref name="owner"/> (the model's own inference tape, which runs the first batch).</summary>
    public InFlightBatches(Tape owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        this.owner = owner;
    }

    /// <summary>Tapes beside the owner's made so far (one for each thread a region has had beyond the first).</summary>
    public int ExtraTapes
    {
        get
        {
            lock (free) return lanes.Count;
        }
    }

    /// <summary>
    /// Activation memory the tapes of this loop hold (their arenas' chunks, in bytes): the owner's, then the extra
    /// tapes'. For reports and tests.
    /// </summary>
    public long ReservedBytes
    {
        get
        {
            lock (free) return (owner.Arena.CapacityFloats + lanes.Sum(l => l.Arena.CapacityFloats)) * sizeof(float);
        }
    }

    /// <summary>Whether <paramref name="batches"/> batches would run in flight now (see <see cref="Run"/>).</summary>
    public static bool Applies(int batches, bool inFlight) =>
        inFlight && batches >= 2 && Parallelism.MaxThreads > 1 && !IntraOpPool.InRegion && Gemm.Blas.Backend is Gemm.ManagedGemm;

    /// <summary>
    /// Runs <paramref name="run"/>(tape, i) for batches i in [0, <paramref name="batches"/>), longest first, under
    /// <paramref name="gate"/> (the call's first batch waits in line as any caller; each later batch or round lets the
    /// callers waiting then go first), and <paramref name="finished"/>(i) after each (one call at a time, on whichever thread
    /// ran the batch; in the order batches end). <paramref name="cancellationToken"/> is looked at before each batch
    /// (<paramref name="run"/> starts its tape's pass with it, which looks before each layer); the first exception a
    /// batch throws stops the others from starting a batch and is rethrown. With <paramref name="inFlight"/> false, one
    /// thread, one batch, a GEMM backend other than the managed one (OpenBLAS keeps one thread setting for the process)
    /// or a call from inside a parallel region, every batch runs on the owner's tape one after another, each taking
    /// <paramref name="gate"/> on its own. Before each region the other tapes are set as the owner is
    /// (<see cref="CopySettings"/>: the owner's kernel paths, so the same bits).
    /// </summary>
    public void Run(int batches, bool inFlight, InferenceGate gate, CancellationToken cancellationToken, Action<Tape, int> run,
        Action<int>? finished)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(run);
        bool parallel = Applies(batches, inFlight);
        for (int i = 0; i < (parallel ? 1 : batches); i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (i == 0 ? gate.Enter() : gate.EnterAfterWaiters()) run(owner, i);
            finished?.Invoke(i);
        }
        if (!parallel) return;
        var turn = new Lock(); // finished's one call at a time
        int round = Parallelism.MaxThreads; // one batch a thread, then the lock is let go
        for (int start = 1; start < batches; start += round)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int first = start;
            using (gate.EnterAfterWaiters())
            {
                Ready();
                Parallelism.ForEach(Math.Min(round, batches - first), index =>
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var tape = Take();
                    try
                    {
                        run(tape, first + index);
                    }
                    finally
                    {
                        Give(tape);
                    }
                    if (finished is not null)
                    {
                        lock (turn) finished(first + index);
                    }
                });
            }
        }
    }

    /// <summary>
    /// Sets <paramref name="to"/> (a tape that does not record) as <paramref name="from"/> is set for inference: weight
    /// packing (and packed-only release, AMX pieces and float32 matmul precision), int8 and bfloat16 products (and their release), the few-row
    /// product bound, direct attention. A pass on it then takes <paramref name="from"/>'s kernel paths, the same bits.
    /// </summary>
    public static void CopySettings(Tape from, Tape to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        to.PackWeights = from.PackWeights;
        to.KeepPackedOnly = from.KeepPackedOnly;
        to.HoldWeightPieces = from.HoldWeightPieces;
        to.Float32Matmul = from.Float32Matmul;
        to.QuantizeLinear = from.QuantizeLinear;
        to.KeepInt8Only = from.KeepInt8Only;
        to.Bf16Linear = from.Bf16Linear;
        to.KeepBf16Only = from.KeepBf16Only;
        to.FewRowLinear = from.FewRowLinear;
        to.DirectAttention = from.DirectAttention;
    }

    // Before a region: every kept tape free and set as the owner is (its settings may have changed since).
    private void Ready()
    {
        lock (free)
        {
            free.Clear();
            foreach (var lane in lanes)
            {
                CopySettings(owner, lane);
                lane.LayerStarting = owner.LayerStarting;
                free.Push(lane);
            }
            free.Push(owner); // taken first: its arena already holds the longest batch
        }
    }

    // A free tape, or a new one (kept) when every tape is in use: at most one a thread of the region.
    private Tape Take()
    {
        lock (free)
        {
            if (free.TryPop(out var tape)) return tape;
            tape = new Tape(recording: false) { LayerStarting = owner.LayerStarting };
            CopySettings(owner, tape);
            lanes.Add(tape);
            return tape;
        }
    }

    private void Give(Tape tape)
    {
        lock (free) free.Push(tape);
    }
}
