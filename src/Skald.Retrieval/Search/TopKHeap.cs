namespace Skald.Retrieval.Search;

/// <summary>
/// A bounded min-heap keeping the <c>k</c> best (score, tie-key) pairs. Higher score wins; on equal scores the higher
/// tie-key wins (pass each document's rank in ordinal id order to reproduce trec_eval's "doc id descending"), and on
/// equal tie-keys the lower index, so the kept set does not depend on the order entries were offered in.
/// </summary>
internal sealed class TopKHeap
{
    private readonly int k;
    private readonly float[] scores;
    private readonly int[] indices;
    private readonly int[] keys;

    /// <summary>Creates an empty heap that keeps at most <paramref name="k"/> entries.</summary>
    public TopKHeap(int k)
    {
        this.k = k;
        scores = new float[k];
        indices = new int[k];
        keys = new int[k];
    }

    /// <summary>Bytes a kept entry takes (score, index, key).</summary>
    public const int BytesPerEntry = 12;

    /// <summary>One empty heap of <paramref name="k"/> per query, <paramref name="count"/> of them.</summary>
    public static TopKHeap[] Many(int count, int k)
    {
        var heaps = new TopKHeap[count];
        for (int i = 0; i < count; i++) heaps[i] = new TopKHeap(k);
        return heaps;
    }

    /// <summary>Entries it keeps at most (k).</summary>
    public int Capacity => k;

    /// <summary>Entries kept so far (at most k).</summary>
    public int Count { get; private set; }

    /// <summary>Smallest kept score, or -∞ while the heap is not full (a quick reject test).</summary>
    public float Threshold => Count < k ? float.NegativeInfinity : scores[0];

    /// <summary>Forgets every kept entry (the heap reused for another query).</summary>
    public void Clear() => Count = 0;

    /// <summary>Offers an entry; NaN scores are ignored, and a full heap keeps it only if it beats the worst kept one.</summary>
    public void Add(int index, float score, int key)
    {
        if (float.IsNaN(score)) return;
        if (Count < k)
        {
            int i = Count++;
            scores[i] = score; indices[i] = index; keys[i] = key;
            SiftUp(i);
        }
        else if (Better(score, key, index, scores[0], keys[0], indices[0]))
        {
            scores[0] = score; indices[0] = index; keys[0] = key;
            SiftDown(0);
        }
    }

    /// <summary>
    /// Offers row <paramref name="row"/> with its tie key (<paramref name="tieKeys"/>[row], or −row: the lower row wins),
    /// skipping the heap when it cannot get in.
    /// </summary>
    public void Offer(int row, float score, IReadOnlyList<int>? tieKeys)
    {
        if (score < Threshold) return;
        Add(row, score, tieKeys is null ? -row : tieKeys[row]);
    }

    /// <summary>Offers every kept entry to <paramref name="target"/> (merging per-thread heaps).</summary>
    public void AddAllTo(TopKHeap target)
    {
        for (int i = 0; i < Count; i++) target.Add(indices[i], scores[i], keys[i]);
    }

    /// <summary>The kept hits, best first.</summary>
    public Hit[] ToSortedArray()
    {
        var order = Enumerable.Range(0, Count).ToArray();
        Array.Sort(order, (a, b) => Better(scores[a], keys[a], indices[a], scores[b], keys[b], indices[b]) ? -1 : Better(scores[b], keys[b], indices[b], scores[a], keys[a], indices[a]) ? 1 : 0);
        return [.. order.Select(i => new Hit(indices[i], scores[i]))];
    }

    private static bool Better(float s1, int k1, int i1, float s2, int k2, int i2) =>
        s1 > s2 || (s1 == s2 && (k1 > k2 || (k1 == k2 && i1 < i2)));

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Better(scores[parent], keys[parent], indices[parent], scores[i], keys[i], indices[i])) break;
            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < Count && Better(scores[worst], keys[worst], indices[worst], scores[l], keys[l], indices[l])) worst = l;
            if (r < Count && Better(scores[worst], keys[worst], indices[worst], scores[r], keys[r], indices[r])) worst = r;
            if (worst == i) return;
            Swap(i, worst);
            i = worst;
        }
    }

    private void Swap(int a, int b)
    {
        (scores[a], scores[b]) = (scores[b], scores[a]);
        (indices[a], indices[b]) = (indices[b], indices[a]);
        (keys[a], keys[b]) = (keys[b], keys[a]);
    }
}
