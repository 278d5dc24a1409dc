using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Generation;

public sealed partial class KvCache
{
    private bool ragged;               // the next pass is the ragged step PlanRagged set
    private int[] segmentCounts = [];  // [Rows]: each row's new tokens in the ragged step
    private int[] segmentOffsets = []; // [Rows + 1]: where each row's new tokens start among the step's N

    /// <summary>Whether the step planned or in progress is ragged (<see cref="PlanRagged"/>).</summary>
    internal bool Ragged => ragged;

    /// <summary>
    /// Plans the next forward pass as a ragged step (several prompts prefilled in one pass, as vLLM's scheduler batches
    /// prefills): its tokens [1, N] are <paramref name="counts"/>[r] new tokens of each row r back to back (0: the row
    /// takes no part). Each row is unpadded and has a length of its own: its new tokens go after its
    /// <see cref="RealTokens"/> columns, at the positions from there, and attend causally to its own row only.
    /// <see cref="Length"/> becomes the longest row. The plan holds for one pass.
    /// </summary>
    internal void PlanRagged(ReadOnlySpan<int> counts)
    {
        if (StepTokens != 0) throw new InvalidOperationException("a ragged step is planned between steps");
        if (counts.Length != Rows) throw new ArgumentException($"{counts.Length} counts for a cache of {Rows} rows");
        if (segmentCounts.Length != Rows) (segmentCounts, segmentOffsets) = (new int[Rows], new int[Rows + 1]);
        int n = 0;
        for (int r = 0; r < Rows; r++)
        {
            if (counts[r] < 0 || realTokens[r] + counts[r] > Capacity)
                throw new InvalidOperationException($"the cache holds {Capacity} tokens per row; row {r}'s {realTokens[r]} + {counts[r]} do not fit");
            (segmentCounts[r], segmentOffsets[r]) = (counts[r], n);
            n += counts[r];
        }
        segmentOffsets[Rows] = n;
        Batch = Rows;
        ragged = true;
    }

    /// <summary>Empties row <paramref name="row"/> for a new sequence (the other rows keep theirs).</summary>
    internal void ClearRow(int row) => realTokens[row] = 0;

    /// <summary>Copies row <paramref name="from"/> of <paramref name="source"/> (another cache of the same model) into row <paramref name="row"/> of this one.</summary>
    internal void TakeRow(KvCache source, int from, int row)
    {
        int l = source.realTokens[from];
        if (l > Capacity || row >= Rows) throw new ArgumentException($"row {from} of {l} tokens does not fit row {row} of a cache of {Rows} × {Capacity}");
        CopyColumns(source, from, row, 0, l);
        realTokens[row] = l;
        Length = Math.Max(Length, l);
    }

    /// <summary>
    /// Lays the cache out anew as <paramref name="rows"/> × <paramref name="capacity"/> in the buffers it has (at most
    /// <see cref="Positions"/>), between steps: row <paramref name="kept"/>'s columns (−1: none) become row 0's and
    /// every other row is empty. Nothing is allocated but the real-token counts of more rows than ever before.
    /// </summary>
    internal void Reshape(int rows, int capacity, int kept)
    {
        if (StepTokens != 0 || ragged) throw new InvalidOperationException("a cache is reshaped between steps");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(kept, Rows - 1);
        if ((long)rows * capacity > Positions) throw new ArgumentException($"{rows} × {capacity} positions do not fit a cache of {Positions}");
        int l = kept >= 0 ? realTokens[kept] : 0;
        if (l > capacity) throw new ArgumentException($"row {kept} of {l} tokens does not fit {capacity} columns");
        if (l > 0)
        {
            for (int layer = 0; layer < keys.Length; layer++)
            {
                MoveToFirstRow(keys[layer], kept, capacity, l);
                MoveToFirstRow(values[layer], kept, capacity, l);
            }
            keyBias.AsSpan(kept * Capacity, l).CopyTo(keyBias.AsSpan(0, l));
        }
        if (realTokens.Length < rows) realTokens = new int[rows];
        Array.Clear(realTokens);
        realTokens[0] = l;
        (Rows, Batch, Capacity, Length) = (rows, rows, capacity, l);
    }

    // Columns 0..l−1 of row `kept` of this layout to row 0 of one of `capacity` columns, within `buffer`: the heads that
    // move up first, last to first, then those that move down (or stay), first to last, so that none is overwritten
    // before it is read (each head's columns are a span of l·D, and the spans of both layouts are in head order).
    private void MoveToFirstRow(float[] buffer, int kept, int capacity, int l)
    {
        int d = HeadDim;
        var from = new KvCacheLayout(Rows, 0, Capacity, Capacity, Heads, KvHeads, d);
        var to = new KvCacheLayout(1, 0, capacity, capacity, Heads, KvHeads, d);
        for (int h = KvHeads - 1; h >= 0; h--)
        {
            if (Up(h)) Move(h);
        }
        for (int h = 0; h < KvHeads; h++)
        {
            if (!Up(h)) Move(h);
        }
        bool Up(int h) => to.Offset(0, h, 0) > from.Offset(kept, h, 0);
        void Move(int h) => buffer.AsSpan((int)from.Offset(kept, h, 0), l * d).CopyTo(buffer.AsSpan((int)to.Offset(0, h, 0), l * d));
    }

    private void BeginRagged(TokenBatch tokens)
    {
        int n = segmentOffsets[Rows];
        if (tokens.Batch != 1 || tokens.Seq != n)
            throw new ArgumentException($"a ragged step of {n} tokens runs as [1, {n}], got [{tokens.Batch}, {tokens.Seq}]");
        if (positions.Length < n) positions = new int[Math.Max(n, 2 * positions.Length)];
        for (int r = 0; r < Rows; r++)
        {
            int real = realTokens[r], at = segmentOffsets[r];
            for (int j = 0; j < segmentCounts[r]; j++) positions[at + j] = real + j;
            keyBias.AsSpan(r * Capacity + real, segmentCounts[r]).Clear();
        }
        StepTokens = n;
    }

    private void CommitRagged()
    {
        for (int r = 0; r < Rows; r++)
        {
            realTokens[r] += segmentCounts[r];
            Length = Math.Max(Length, realTokens[r]);
        }
        StepTokens = 0;
        ragged = false;
    }

    // The ragged step's new keys and values [N, Hkv·D] after each row's own columns; the layout addresses the whole cache.
    private KvCacheLayout AppendRagged(int layer, Variable k, Variable v)
    {
        int d = HeadDim;
        var layout = new KvCacheLayout(Rows, 0, Capacity, Capacity, Heads, KvHeads, d);
        var ks = k.Span;
        var vs = v.Span;
        var kc = keys[layer].AsSpan();
        var vc = values[layer].AsSpan();
        for (int r = 0; r < Rows; r++)
        for (int j = 0; j < segmentCounts[r]; j++)
        {
            int token = (segmentOffsets[r] + j) * KvHeads * d;
            for (int h = 0; h < KvHeads; h++)
            {
                int at = (int)layout.Offset(r, h, realTokens[r] + j);
                ks.Slice(token + h * d, d).CopyTo(kc.Slice(at, d));
                vs.Slice(token + h * d, d).CopyTo(vc.Slice(at, d));
            }
        }
        return layout;
    }

    /// <summary>
    /// Attention of the ragged step's queries q [N, H·D] (its keys k and values v [N, Hkv·D] already appended): each
    /// row's new tokens attend causally to its own columns. When no row has earlier columns (every prompt's first
    /// chunk), within the step's own keys as one prompt's first pass does (<see cref="Attention.ForwardInferenceUnpadded"/>);
    /// else row by row against the cache (<see cref="CachedAttention"/>).
    /// </summary>
    internal Variable RaggedAttention(Tape tape, int layer, Variable q, Variable k, Variable v, AttentionScoring scoring)
    {
        if (!ragged || StepTokens == 0) throw new InvalidOperationException("no ragged step is in progress");
        int d = HeadDim, width = Heads * d, longest = 0;
        bool fresh = true;
        for (int r = 0; r < Rows; r++)
        {
            longest = Math.Max(longest, segmentCounts[r]);
            if (segmentCounts[r] > 0 && realTokens[r] > 0) fresh = false;
        }
        var y = tape.NewVariable(q.Rows, q.Cols);
        if (fresh)
        {
            Attention.ForwardInferenceUnpadded(q.Span, k.Span, v.Span, y.Span, segmentOffsets,
                AttentionLayout.Dense(Rows, longest, Heads, KvHeads, d), scoring);
            return y;
        }
        for (int r = 0; r < Rows; r++)
        {
            int n = segmentCounts[r];
            if (n == 0) continue;
            int rowStart = r * KvHeads * Capacity * d, at = segmentOffsets[r] * width;
            var layout = new KvCacheLayout(1, n, realTokens[r] + n, Capacity, Heads, KvHeads, d);
            CachedAttention.Forward(q.Span.Slice(at, n * width), keys[layer].AsSpan(rowStart), values[layer].AsSpan(rowStart),
                keyBias.AsSpan(r * Capacity, Capacity), y.Span.Slice(at, n * width), layout, scoring);
        }
        return y;
    }
}
