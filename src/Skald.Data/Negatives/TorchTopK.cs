namespace Skald.Data.Negatives;

/// <summary>
/// The order in which PyTorch's CPU <c>torch.topk(x, k, largest=True, sorted=True)</c> returns the k largest values of a
/// row, ties included, so that mining picks the same one of several equally scored passages as sentence-transformers'
/// <c>mine_hard_negatives</c> does. PyTorch's CPU kernel (aten/src/ATen/native/TopKImpl.h, <c>topk_impl_loop</c>) pairs
/// each value with its position and, when 64·k ≤ n, runs <c>std::partial_sort</c> over the first k, otherwise
/// <c>std::nth_element</c> at k − 1 followed by <c>std::sort</c> of the first k − 1, with "greater, NaN first" as the
/// order; neither is stable, so equal values come out in the order those algorithms of GNU libstdc++ (which the Linux
/// wheels are built with) leave them. This class restates those algorithms step for step (introselect with a median of
/// three pivot and an insertion sort below four elements, introsort with a final insertion sort of 16, heap select and
/// heap sort); checked against torch 1.13 on constructed ties (<c>fixtures/mining/make_topk_ties.py</c>,
/// <c>TorchTopKTests</c>). Steady state allocates nothing: the caller gives the scratch.
/// </summary>
public static class TorchTopK
{
    /// <summary>
    /// Writes to <paramref name="order"/> the positions of the <c>order.Length</c> largest <paramref name="scores"/> in
    /// torch.topk's order; <paramref name="scratch"/> holds at least <c>scores.Length</c> entries (its contents are
    /// overwritten).
    /// </summary>
    public static void Order(ReadOnlySpan<float> scores, Span<int> order, Span<(float Value, int Index)> scratch)
    {
        int n = scores.Length, k = order.Length;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, n);
        ArgumentOutOfRangeException.ThrowIfLessThan(scratch.Length, n);
        if (k == 0) return;
        var a = scratch[..n];
        for (int j = 0; j < n; j++) a[j] = (scores[j], j);
        if ((long)k * 64 <= n) PartialSort(a, k);
        else
        {
            NthElement(a, k - 1);
            Sort(a[..(k - 1)]);
        }
        for (int j = 0; j < k; j++) order[j] = a[j].Index;
    }

    // torch's comparator for largest: NaN before any number, then the greater value first.
    private static bool Before((float Value, int Index) x, (float Value, int Index) y) =>
        (float.IsNaN(x.Value) && !float.IsNaN(y.Value)) || x.Value > y.Value;

    private static int Log2(int n) => 31 - System.Numerics.BitOperations.LeadingZeroCount((uint)n);

    private static void PartialSort(Span<(float Value, int Index)> a, int middle)
    {
        HeapSelect(a, middle);
        for (int last = middle; last > 1;)
        {
            last--;
            PopHeap(a[..last], last, a);
        }
    }

    // The heap of the first `middle` entries keeps the `middle` best: an entry better than the heap's top replaces it.
    private static void HeapSelect(Span<(float Value, int Index)> a, int middle)
    {
        MakeHeap(a[..middle]);
        for (int i = middle; i < a.Length; i++)
            if (Before(a[i], a[0])) PopHeap(a[..middle], i, a);
    }

    // The heap's top moves to a[result] and the entry that was there is sifted into the heap.
    private static void PopHeap(Span<(float Value, int Index)> heap, int result, Span<(float Value, int Index)> a)
    {
        var value = a[result];
        a[result] = heap[0];
        AdjustHeap(heap, 0, value);
    }

    private static void MakeHeap(Span<(float Value, int Index)> heap)
    {
        int len = heap.Length;
        if (len < 2) return;
        for (int parent = (len - 2) / 2; ; parent--)
        {
            AdjustHeap(heap, parent, heap[parent]);
            if (parent == 0) return;
        }
    }

    // libstdc++'s __adjust_heap: the hole sinks to a leaf along the preferred children, then the value rises from there.
    private static void AdjustHeap(Span<(float Value, int Index)> heap, int hole, (float Value, int Index) value)
    {
        int len = heap.Length, top = hole, child = hole;
        while (child < (len - 1) / 2)
        {
            child = 2 * (child + 1);
            if (Before(heap[child], heap[child - 1])) child--;
            heap[hole] = heap[child];
            hole = child;
        }
        if ((len & 1) == 0 && child == (len - 2) / 2)
        {
            child = 2 * (child + 1);
            heap[hole] = heap[child - 1];
            hole = child - 1;
        }
        for (int parent = (hole - 1) / 2; hole > top && Before(heap[parent], value); parent = (hole - 1) / 2)
        {
            heap[hole] = heap[parent];
            hole = parent;
        }
        heap[hole] = value;
    }

    // libstdc++'s __introselect: partition around a median-of-three pivot into the part holding nth, heap select once
    // 2·log2(n) partitions have not narrowed it below four entries, an insertion sort of what is left.
    private static void NthElement(Span<(float Value, int Index)> a, int nth)
    {
        if (a.Length == 0 || nth == a.Length) return;
        int first = 0, last = a.Length, depth = Log2(a.Length) * 2;
        while (last - first > 3)
        {
            if (depth == 0)
            {
                HeapSelect(a[first..last], nth + 1 - first);
                (a[first], a[nth]) = (a[nth], a[first]);
                return;
            }
            depth--;
            int cut = first + PartitionPivot(a[first..last]);
            if (cut <= nth) first = cut;
            else last = cut;
        }
        InsertionSort(a[first..last]);
    }

    // libstdc++'s std::sort: introsort down to runs of 16 (heap sort past the depth limit), then one insertion sort.
    private static void Sort(Span<(float Value, int Index)> a)
    {
        if (a.Length == 0) return;
        IntroSort(a, Log2(a.Length) * 2);
        if (a.Length > 16)
        {
            InsertionSort(a[..16]);
            for (int i = 16; i < a.Length; i++) LinearInsert(a, i);
        }
        else InsertionSort(a);
    }

    private static void IntroSort(Span<(float Value, int Index)> a, int depth)
    {
        int last = a.Length;
        while (last > 16)
        {
            if (depth == 0)
            {
                PartialSort(a[..last], last);
                return;
            }
            depth--;
            int cut = PartitionPivot(a[..last]);
            IntroSort(a[cut..last], depth);
            last = cut;
        }
    }

    // The median of a[1], a[mid], a[^1] moved to a[0] as the pivot, then Hoare's partition of a[1..]; returns the cut.
    private static int PartitionPivot(Span<(float Value, int Index)> a)
    {
        int mid = a.Length / 2, last = a.Length - 1;
        int median = Before(a[1], a[mid])
            ? Before(a[mid], a[last]) ? mid : Before(a[1], a[last]) ? last : 1
            : Before(a[1], a[last]) ? 1 : Before(a[mid], a[last]) ? last : mid;
        (a[0], a[median]) = (a[median], a[0]);
        int lo = 1, hi = a.Length;
        while (true)
        {
            while (Before(a[lo], a[0])) lo++;
            hi--;
            while (Before(a[0], a[hi])) hi--;
            if (lo >= hi) return lo;
            (a[lo], a[hi]) = (a[hi], a[lo]);
            lo++;
        }
    }

    private static void InsertionSort(Span<(float Value, int Index)> a)
    {
        for (int i = 1; i < a.Length; i++)
        {
            if (Before(a[i], a[0]))
            {
                var value = a[i];
                a[..i].CopyTo(a[1..]);
                a[0] = value;
            }
            else LinearInsert(a, i);
        }
    }

    // Moves a[i] left past the entries it goes before (a smaller entry stands to its left: no bound check needed).
    private static void LinearInsert(Span<(float Value, int Index)> a, int i)
    {
        var value = a[i];
        int next = i - 1;
        while (Before(value, a[next]))
        {
            a[i] = a[next];
            i = next;
            next--;
        }
        a[i] = value;
    }
}
