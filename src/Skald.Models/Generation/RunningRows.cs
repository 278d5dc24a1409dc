using Skald.Models.Architectures;

namespace Skald.Models.Generation;

/// <summary>
/// The rows a <see cref="Generator"/> step computes, as vLLM's and TGI's schedulers keep their running sequences: a
/// batch row (the caller's row: its options, sampler stream and callbacks) runs in a step slot while it decodes, and a
/// row that is done leaves (<see cref="Remove"/>: the last slot's row moves into its place, as its KV cache row does,
/// <see cref="KvCache.Remove"/>), so a step's rows are the rows still decoding, in no particular order. It holds the
/// one-token input of the cached steps and the rows whose logits the head computes, made anew only when the count
/// changes (<see cref="Fit"/>), so a step between changes allocates nothing.
/// </summary>
internal sealed class RunningRows
{
    private readonly int[] rowAt;  // slot → batch row
    private readonly int[] slotOf; // batch row → slot (−1: not running)

    /// <summary>Room for <paramref name="rows"/> batch rows, those of <paramref name="running"/> running, slot i holding running[i].</summary>
    public RunningRows(int rows, IReadOnlyList<int> running)
    {
        rowAt = new int[rows];
        slotOf = new int[rows];
        Array.Fill(slotOf, -1);
        for (int i = 0; i < running.Count; i++) (rowAt[i], slotOf[running[i]]) = (running[i], i);
        Count = running.Count;
        Fit();
    }

    /// <summary>Slots in use: the rows a step computes.</summary>
    public int Count { get; private set; }

    /// <summary>The one-token input of a cached step, slot by slot (its ids: each slot's last token).</summary>
    public TokenBatch Step { get; private set; } = null!;

    /// <summary>The index of each slot's last token in a step's hidden states of <see cref="Count"/> rows (filled by the caller).</summary>
    public int[] Last { get; private set; } = [];

    /// <summary>The batch row running in slot <paramref name="slot"/>.</summary>
    public int RowAt(int slot) => rowAt[slot];

    /// <summary>The slot of batch row <paramref name="row"/>, or −1 when it does not run.</summary>
    public int SlotOf(int row) => slotOf[row];

    /// <summary>Batch row <paramref name="row"/> runs in the next slot, which it returns (call <see cref="Fit"/> before the next step).</summary>
    public int Add(int row)
    {
        if (slotOf[row] >= 0) throw new InvalidOperationException($"row {row} runs already");
        int slot = Count++;
        (rowAt[slot], slotOf[row]) = (row, slot);
        return slot;
    }

    /// <summary>
    /// Slot <paramref name="slot"/>'s row leaves; the last slot's row (and its pending token) moves into it, as
    /// <see cref="KvCache.Remove"/> moves its cache row (call <see cref="Fit"/> before the next step).
    /// </summary>
    public void Remove(int slot)
    {
        int last = --Count;
        slotOf[rowAt[slot]] = -1;
        if (slot == last) return;
        int moved = rowAt[last];
        (rowAt[slot], slotOf[moved]) = (moved, slot);
        Step.Ids[slot] = Step.Ids[last];
    }

    /// <summary>Sizes <see cref="Step"/> and <see cref="Last"/> to <see cref="Count"/>, keeping the slots' tokens (nothing is made when they fit).</summary>
    public void Fit()
    {
        if (Step is not null && Step.Batch == Count) return;
        var step = StepBatches.OneToken(Count);
        if (Step is not null) Array.Copy(Step.Ids, step.Ids, Math.Min(Count, Step.Batch));
        (Step, Last) = (step, new int[Count]);
    }
}
