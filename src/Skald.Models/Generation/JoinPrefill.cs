using System.Numerics;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;

namespace Skald.Models.Generation;

/// <summary>
/// The prefill of a request joining a running batch (<see cref="ContinuousBatching"/>): its prompt's forward pass into a
/// one-row cache of its own, whole or in chunks between the batch's decoding steps (chunked prefill), so that the rows
/// already decoding are not held up for a long prompt. Each chunk's new tokens attend to the cached ones and to each other
/// causally, so the cache ends as one forward pass of the whole prompt leaves it, up to the order of floating-point sums.
/// The cache is kept for later joins: it holds the longest joining prompt so far, rounded up to a power of two (a few
/// regrowths at most), not a whole row of the batch's, since it is memory beside the batch's cache and its budget. One
/// request is prefilled at a time.
/// </summary>
internal sealed class JoinPrefill(IDecoder decoder, LmHead head, Tape tape)
{
    private KvCache? cache;
    private int done;

    /// <summary>The batch row the request in progress takes once prefilled (−1: none in progress).</summary>
    public int Row { get; private set; } = -1;

    /// <summary>The request in progress (null: none).</summary>
    public GenerationJoin? Join { get; private set; }

    /// <summary>The JSON constraint of the request in progress, made when it was taken.</summary>
    public ITokenConstraint? Json { get; private set; }

    /// <summary>Whether the request in progress has its whole prompt in <see cref="Cache"/>.</summary>
    public bool Finished => Join is not null && done == Join.Prompt.Count;

    /// <summary>The one-row cache of the prompt prefilled so far.</summary>
    public KvCache Cache => cache ?? throw new InvalidOperationException("no prompt has been prefilled");

    /// <summary>Bytes of its cache (0 before the first join).</summary>
    public long Bytes => cache?.Bytes ?? 0;

    /// <summary>
    /// The decoding steps that run while a prompt of <paramref name="prompt"/> tokens is prefilled when
    /// <paramref name="budget"/> prompt tokens may still run before the next step and <paramref name="chunk"/> between
    /// any two later ones (<see cref="int.MaxValue"/>: unchunked): 0 when it fits the budget, else one per further chunk.
    /// </summary>
    public static int Steps(int prompt, int budget, int chunk) => prompt <= budget ? 0 : (int)(((long)prompt - budget + chunk - 1) / chunk);

    /// <summary>
    /// Starts prefilling <paramref name="join"/> for batch row <paramref name="row"/> (a batch of up to
    /// <paramref name="batchCapacity"/> columns per row), dropping any request in progress.
    /// </summary>
    public void Start(int row, GenerationJoin join, ITokenConstraint? json, int batchCapacity)
    {
        int l = join.Prompt.Count;
        if (cache is null || cache.Capacity < l)
        {
            cache = null; // collectable while its successor is allocated
            cache = new KvCache(decoder.Config, 1, Math.Max(l, Math.Min(batchCapacity, (int)BitOperations.RoundUpToPowerOf2((uint)l))));
        }
        cache.Clear(1);
        (Row, Join, Json, done) = (row, join, json, 0);
    }

    /// <summary>
    /// Runs the next chunk of the prompt in progress: at most <paramref name="budget"/> tokens, which it takes off. Returns
    /// true when the prompt is whole then, its last position's logits (which choose its first token, as its first step alone
    /// would) in <paramref name="logits"/>.
    /// </summary>
    public bool Run(ref int budget, Span<float> logits)
    {
        var join = Join ?? throw new InvalidOperationException("no prompt is being prefilled");
        int n = Math.Min(budget, join.Prompt.Count - done);
        if (n < 1) throw new InvalidOperationException("a prefill chunk needs at least one token");
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = join.Prompt[done + i];
        tape.Reset();
        var hidden = decoder.Forward(tape, new TokenBatch(ids, Enumerable.Repeat(1, n).ToArray(), new int[n], 1, n), cache);
        done += n;
        budget -= n;
        if (!Finished) return false;
        head.Logits(tape, hidden, [n - 1]).Span.CopyTo(logits);
        return true;
    }

    /// <summary>Ends the request in progress (adopted by the batch, or abandoned by its caller).</summary>
    public void End() => (Row, Join, Json, done) = (-1, null, null, 0);
}
