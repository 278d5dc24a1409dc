namespace Skald.Tensors.Kernels;

/// <summary>
/// The k largest values of a row, kept and rectified, the rest zeroed: the sparse code of sentence-transformers'
/// SparseAutoEncoder (CSR), <c>relu(scatter(topk(z, k)))</c>
/// (https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/models/SparseAutoEncoder.py):
/// <code>
/// y[j] = max(z[j], 0)   when j is among the k largest z of the allowed entries       (forward)
/// y[j] = 0              otherwise
/// dz[j] += dy[j]        where y[j] &gt; 0 (kept and positive: relu's gradient is 0 at 0)   (backward)
/// </code>
/// With a mask only the allowed entries compete (the auxiliary code over dead latents, which sentence-transformers gets
/// by zeroing the live ones in place: the entries it then keeps with a positive value are these). Ties at the k-th value
/// are broken by position (lower index first); which one wins changes nothing once its value is ≤ 0.
/// </summary>
public static class TopK
{
    /// <summary>
    /// One row: <paramref name="y"/> = the rectified k largest of <paramref name="z"/> (among <paramref name="allowed"/>
    /// when it is not empty), zeros elsewhere. <paramref name="scratch"/> holds at least z.Length values.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> z, int k, ReadOnlySpan<bool> allowed, Span<float> scratch, Span<float> y)
    {
        int n = z.Length;
        if (y.Length < n || scratch.Length < n || (!allowed.IsEmpty && allowed.Length < n))
            throw new ArgumentException("y, scratch and allowed need z.Length values");
        y[..n].Clear();
        int m = 0;
        for (int j = 0; j < n; j++)
            if (allowed.IsEmpty || allowed[j]) scratch[m++] = z[j];
        if (m == 0 || k <= 0) return;
        if (k >= m)
        {
            for (int j = 0; j < n; j++)
                if ((allowed.IsEmpty || allowed[j]) && z[j] > 0f) y[j] = z[j];
            return;
        }
        float kth = KthLargest(scratch[..m], k);
        int above = 0;
        for (int j = 0; j < n; j++)
            if ((allowed.IsEmpty || allowed[j]) && z[j] > kth) above++;
        int ties = k - above; // entries equal to the k-th value that still fit, taken by position
        for (int j = 0; j < n; j++)
        {
            if (!(allowed.IsEmpty || allowed[j])) continue;
            float v = z[j];
            bool keep = v > kth || (v == kth && ties-- > 0);
            if (keep && v > 0f) y[j] = v;
        }
    }

    /// <summary>One row's backward: dz[j] += dy[j] where y[j] &gt; 0.</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dz)
    {
        for (int j = 0; j < y.Length; j++)
            if (y[j] > 0f) dz[j] += dy[j];
    }

    /// <summary>The k-th largest of <paramref name="values"/> (1 ≤ k ≤ length), reordering them (quickselect, median of three).</summary>
    public static float KthLargest(Span<float> values, int k)
    {
        if (k < 1 || k > values.Length) throw new ArgumentOutOfRangeException(nameof(k));
        int lo = 0, hi = values.Length - 1, target = k - 1; // index of the k-th largest in descending order
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            float a = values[lo], b = values[mid], c = values[hi];
            float pivot = a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] > pivot) i++;
                while (values[j] < pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return values[target];
        }
        return values[target];
    }
}
