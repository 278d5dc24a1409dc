using System.Numerics;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;

namespace Skald.Models.Generation;

/// <summary>
/// The prefill of requests joining a running batch (<see cref="ContinuousBatching"/>): between two decoding steps the
/// chunks of every joining prompt planned there (<see cref="Continue"/>, <see cref="Take"/>: whole prompts, and with
/// chunked prefill the budget's last one cut, to go on after the next step) run as ONE forward pass over their
/// concatenated unpadded tokens (a ragged step, <see cref="KvCache.PlanRagged"/>; vLLM's scheduler batches prefills so),
/// each prompt into its own row of a cache of their own and attending to its own tokens only. Each prompt's cache row
/// ends as one forward pass of it alone leaves it, up to the order of floating-point sums. The cache is kept for later
/// joins: rows for the most prompts prefilled at once so far, each of the longest joining prompt so far rounded up to a
/// power of two (a few regrowths at most), not whole rows of the batch's, since it is memory beside the batch's cache;
/// both maxima together only while that is no larger than the pass in hand or one batch row, else that pass's size.
/// A pass needs its prompts' rows × longest: with a bound on the cache's positions (<see cref="Bound"/>, what the
/// server's token budget leaves beside the batch's cache: <see cref="ContinuousBatching.CachePositions"/>) no more
/// prompts are planned into a pass than fit it (<see cref="Longest"/>), and the cache's buffers hold exactly that many
/// positions, allocated once: a new shape is laid out within them (<see cref="KvCache.Reshape"/>, a prompt in progress
/// moved to row 0), so growing never holds two caches. Without a bound a shape its buffers do not hold is a new cache,
/// and while a prompt in progress is copied over both are held for a moment.
/// </summary>
internal sealed class JoinPrefill(IDecoder decoder, LmHead head, Tape tape)
{
    private readonly List<PrefillPart> parts = [];    // planned for the next pass: the one in progress first
    private readonly List<PrefillPart> finished = []; // whole after the last pass, by batch row
    private KvCache? cache;
    private PrefillPart? going; // cut by the budget: it goes on after the next step
    private Variable? logits;   // [finished, V] of the last pass
    private long positions = long.MaxValue; // the most the cache may hold (Bound)

    /// <summary>The batch row of the request whose prompt goes on after the next step (−1: none).</summary>
    public int Row => going?.Row ?? -1;

    /// <summary>Whether a pass is planned.</summary>
    public bool Planned => parts.Count > 0;

    /// <summary>The requests whose prompts the last pass made whole, by batch row (their logits: <see cref="Logits"/>).</summary>
    public IReadOnlyList<PrefillPart> Finished => finished;

    /// <summary>The prefill cache (the finished requests' rows: <see cref="PrefillPart.Slot"/>).</summary>
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
    /// The longest prompt one more request may have so that the pass planned so far, with it, fits the cache's
    /// <see cref="Bound"/> (rows × longest prompt); 0 when none does.
    /// </summary>
    public int Longest()
    {
        int longest = 0;
        foreach (var p in parts) longest = Math.Max(longest, p.Join.Prompt.Count);
        long most = positions / (parts.Count + 1);
        return most < longest ? 0 : (int)Math.Min(most, int.MaxValue);
    }

    /// <summary>
    /// Bounds the cache to <paramref name="most"/> positions (<see cref="long.MaxValue"/>: no bound) until the next call:
    /// bounded, its buffers are allocated with exactly that many at the first pass, and one kept from an earlier batch
    /// with buffers of another size is dropped now (before the batch's cache comes); unbounded, one kept is kept.
    /// </summary>
    public void Bound(long most)
    {
        positions = most;
        if (cache is not null && most != long.MaxValue && cache.Positions != most) cache = null;
    }

    /// <summary>Plans the next chunk of the request in progress: at most <paramref name="budget"/> tokens, which it takes off.</summary>
    public void Continue(ref int budget)
    {
        var part = going ?? throw new InvalidOperationException("no prompt is being prefilled");
        Plan(part, ref budget);
    }

    /// <summary>
    /// Plans the first chunk of <paramref name="join"/>'s prompt for batch row <paramref name="row"/>: at most
    /// <paramref name="budget"/> tokens, which it takes off. Returns whether the prompt is whole after the pass.
    /// </summary>
    public bool Take(int row, GenerationJoin join, ITokenConstraint? json, ref int budget) =>
        Plan(new PrefillPart(row, join, json), ref budget);

    private bool Plan(PrefillPart part, ref int budget)
    {
        int n = Math.Min(budget, part.Join.Prompt.Count - part.Done);
        if (n < 1) throw new InvalidOperationException("a prefill chunk needs at least one token");
        part.Count = n;
        budget -= n;
        parts.Add(part);
        return part.Whole;
    }

    /// <summary>
    /// Runs the planned chunks as one forward pass (a batch of up to <paramref name="batchCapacity"/> columns per row) in
    /// the cache, within its <see cref="Bound"/> (the pass planned within it: <see cref="Longest"/>):
    /// the prompts it makes whole are then <see cref="Finished"/>, each with its last position's logits, which choose its
    /// first token as its first step alone would; a prompt cut by the budget goes on after the next step.
    /// </summary>
    public void Run(int batchCapacity)
    {
        if (parts.Count == 0) throw new InvalidOperationException("no prefill chunk is planned");
        finished.Clear();
        int longest = 0, total = 0;
        foreach (var p in parts) (longest, total) = (Math.Max(longest, p.Join.Prompt.Count), total + p.Count);
        if ((long)parts.Count * longest > positions)
            throw new InvalidOperationException($"{parts.Count} prompts of up to {longest} tokens do not fit a prefill cache of {positions} positions");
        int rounded = Math.Min(batchCapacity, (int)BitOperations.RoundUpToPowerOf2((uint)longest));
        int columns = Math.Max(longest, (int)Math.Min(rounded, positions / parts.Count));
        int kept = parts[0].Done > 0 ? parts[0].Slot : -1; // the request in progress, first, keeps its row unless the cache grows
        kept = Room(parts.Count, columns, kept, batchCapacity);
        if (kept >= 0) parts[0].Slot = kept;
        var kv = cache!;
        var counts = new int[kv.Rows];
        var ids = new int[total];
        for (int i = 0, free = 0; i < parts.Count; i++)
        {
            var p = parts[i];
            if (p.Done > 0) continue;
            if (free == kept) free++;
            p.Slot = free++;
            kv.ClearRow(p.Slot);
        }
        parts.Sort(static (a, b) => a.Slot.CompareTo(b.Slot)); // the step's tokens go row by row
        for (int i = 0, at = 0; i < parts.Count; i++)
        {
            var p = parts[i];
            counts[p.Slot] = p.Count;
            for (int j = 0; j < p.Count; j++) ids[at + j] = p.Join.Prompt[p.Done + j];
            at += p.Count;
        }
        kv.PlanRagged(counts);
        tape.Reset();
        var hidden = decoder.Forward(tape, new TokenBatch(ids, Enumerable.Repeat(1, total).ToArray(), new int[total], 1, total), kv);
        var last = new List<int>(parts.Count);
        going = null;
        for (int i = 0, at = 0; i < parts.Count; i++)
        {
            var p = parts[i];
            at += p.Count;
            bool whole = p.Whole;
            (p.Done, p.Count) = (p.Done + p.Count, 0);
            if (!whole)
            {
                going = p;
                continue;
            }
            p.LogitsRow = last.Count;
            last.Add(at - 1);
            finished.Add(p);
        }
        parts.Clear();
        finished.Sort(static (a, b) => a.Row.CompareTo(b.Row)); // the batch takes its rows in order
        logits = finished.Count > 0 ? head.Logits(tape, hidden, [.. last]) : null;
    }

    /// <summary>The last position's logits of finished request <paramref name="part"/> (until the tape's next pass).</summary>
    public ReadOnlySpan<float> Logits(PrefillPart part) =>
        (logits ?? throw new InvalidOperationException("no prompt was finished")).Span.Slice(part.LogitsRow * head.VocabSize, head.VocabSize);

    /// <summary>Drops the request in progress (its caller left).</summary>
    public void Drop() => going = null;

    /// <summary>
    /// Forgets everything planned, prefilled or in progress (a batch that ended, or one that failed: its cache, kept for
    /// later joins, is emptied too, so that a pass that threw halfway through its ragged step does not outlive it).
    /// </summary>
    public void End()
    {
        (going, logits) = (null, null);
        parts.Clear();
        finished.Clear();
        cache?.Clear(cache.Rows);
    }

    // A cache of at least `rows` rows of `capacity` columns and at most `positions` positions, keeping row `kept` (−1:
    // none); returns the row it is in then (row 0 of a new shape). It grows in both dimensions (rows of the most prompts
    // so far, columns of the longest) only while that holds no more than this pass needs or one batch row of
    // `batchCapacity` columns, and no more than `positions`, else to this pass's size: many short prompts at once and
    // later one long one do not leave a cache of as many long rows. A shape within the buffers is laid out in them;
    // bounded, the buffers are allocated once with all `positions`, so every shape is.
    private int Room(int rows, int capacity, int kept, int batchCapacity)
    {
        if (cache is not null && cache.Rows >= Math.Max(rows, kept + 1) && cache.Capacity >= capacity && (long)cache.Rows * cache.Capacity <= positions)
            return kept;
        var (mostRows, mostColumns) = (Math.Max(rows, cache?.Rows ?? 0), Math.Max(capacity, cache?.Capacity ?? 0));
        long most = (long)mostRows * mostColumns;
        if (most <= Math.Max((long)rows * capacity, batchCapacity) && most <= positions) (rows, capacity) = (mostRows, mostColumns);
        if (cache is not null && cache.Positions >= (long)rows * capacity)
        {
            cache.Reshape(rows, capacity, kept);
            return kept >= 0 ? 0 : -1;
        }
        var old = kept >= 0 ? cache : null;
        cache = null; // collectable while its successor is allocated, unless it holds a prompt in progress (unbounded only)
        var grown = new KvCache(decoder.Config, rows, capacity, positions == long.MaxValue ? (long)rows * capacity : positions);
        if (old is not null) grown.TakeRow(old, kept, 0);
        cache = grown;
        return old is null ? -1 : 0;
    }
}
