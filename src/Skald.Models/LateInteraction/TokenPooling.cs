namespace Skald.Models.LateInteraction;

/// <summary>
/// PyLate's hierarchical token pooling of a document's token vectors (<c>encode(pool_factor=N)</c>): the first vector
/// kept as it is, the other n clustered into max(⌊n / N⌋, 1) groups by Ward linkage over the distances 1 − cosine
/// (scipy's <c>linkage(method="ward")</c> and <c>fcluster(criterion="maxclust")</c>, re-implemented exactly: the
/// nearest-neighbour chain, its stable sort by distance, the union-find relabelling, the maxclust cut and scipy's label
/// order), and each group replaced by the mean of its vectors. A document with no fewer vectors than groups is left
/// as it is. As PyLate at the pinned commit, the means are not renormalised. A pooled row's token id is −1 (no one
/// token). One instance reuses its work buffers (not thread-safe); <see cref="Pool(TokenVectors, int)"/> uses one per thread.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/models/colbert.py
/// (pool_embeddings_hierarchical); scipy/cluster/hierarchy/_hierarchy.pyx (nn_chain, label,
/// get_max_dist_for_each_cluster, cluster_maxclust_monocrit, cluster_monocrit) and _hierarchy_distance_update.pxi
/// (_ward) at https://github.com/scipy/scipy/tree/3dbf660a91.
/// </remarks>
public sealed class TokenPooling
{
    [ThreadStatic] private static TokenPooling? perThread;

    private double[] distances = [];
    private int[] size = [], chain = [], parent = [], left = [], right = [], labels = [], counts = [], stack = [];
    private double[] height = [], maxHeight = [];
    private bool[] visited = [];
    private float[] sums = [];

    /// <summary>Vectors at the start of a document kept out of the pooling (PyLate's protected_tokens: the [CLS] one).</summary>
    public const int ProtectedTokens = 1;

    /// <summary><paramref name="document"/> pooled by <paramref name="poolFactor"/> (1: itself) with this thread's buffers.</summary>
    public static TokenVectors Pool(TokenVectors document, int poolFactor) => (perThread ??= new TokenPooling()).Apply(document, poolFactor);

    /// <summary><paramref name="document"/> pooled by <paramref name="poolFactor"/> (1: itself).</summary>
    public TokenVectors Apply(TokenVectors document, int poolFactor)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentOutOfRangeException.ThrowIfLessThan(poolFactor, 1);
        int n = Math.Max(document.Count - ProtectedTokens, 0), dim = document.Dimension;
        int groups = Math.Max(n / poolFactor, 1);
        if (poolFactor == 1 || groups >= n) return document;
        Grow(n, groups, dim);
        var rows = document.Values.AsSpan(ProtectedTokens * dim, n * dim);
        Distances(rows, n, dim);
        Link(n);
        int found = Cut(n, groups);
        // each group's mean, in label order, after the protected vectors
        var values = new float[(ProtectedTokens + found) * dim];
        document.Values.AsSpan(0, ProtectedTokens * dim).CopyTo(values);
        var sum = sums.AsSpan(0, found * dim);
        sum.Clear();
        counts.AsSpan(0, found).Clear();
        for (int i = 0; i < n; i++)
        {
            int g = labels[i] - 1;
            counts[g]++;
            var target = sum.Slice(g * dim, dim);
            var source = rows.Slice(i * dim, dim);
            for (int k = 0; k < dim; k++) target[k] += source[k];
        }
        for (int g = 0; g < found; g++)
        {
            var target = values.AsSpan((ProtectedTokens + g) * dim, dim);
            for (int k = 0; k < dim; k++) target[k] = sum[g * dim + k] / counts[g];
        }
        var ids = new int[ProtectedTokens + found];
        Array.Fill(ids, -1);
        document.TokenIds.AsSpan(0, ProtectedTokens).CopyTo(ids);
        return new TokenVectors(values, ids, dim);
    }

    private void Grow(int n, int groups, int dim)
    {
        long pairs = (long)n * (n - 1) / 2;
        if (distances.Length < pairs) distances = new double[pairs];
        if (size.Length < n)
        {
            size = new int[n];
            chain = new int[n];
            labels = new int[n];
            stack = new int[n];
            left = new int[n];
            right = new int[n];
            height = new double[n];
            maxHeight = new double[n];
            parent = new int[2 * n];
            visited = new bool[2 * n];
        }
        if (counts.Length < groups) counts = new int[groups];
        if (sums.Length < groups * dim) sums = new float[groups * dim];
    }

    private static long At(int n, int i, int j) => i < j ? (long)n * i - (long)i * (i + 1) / 2 + (j - i - 1) : (long)n * j - (long)j * (j + 1) / 2 + (i - j - 1);

    // 1 − cosine as PyLate has it: the dot product as a float32 (here summed exactly in double, then rounded), 1 − it in float32.
    private void Distances(ReadOnlySpan<float> rows, int n, int dim)
    {
        for (int i = 0; i < n; i++)
        {
            var a = rows.Slice(i * dim, dim);
            for (int j = i + 1; j < n; j++)
            {
                var b = rows.Slice(j * dim, dim);
                double dot = 0;
                for (int k = 0; k < dim; k++) dot += (double)a[k] * b[k];
                distances[At(n, i, j)] = 1f - (float)dot;
            }
        }
    }

    // scipy's nn_chain with the ward update, then its stable sort by height and union-find relabelling: merge k joins
    // left[k] < right[k] (ids: 0..n−1 the vectors, n + k the cluster merge k made) at height[k].
    private void Link(int n)
    {
        var d = distances;
        Array.Fill(size, 1, 0, n);
        int length = 0;
        for (int k = 0; k < n - 1; k++)
        {
            if (length == 0)
            {
                length = 1;
                for (int i = 0; i < n; i++) if (size[i] > 0) { chain[0] = i; break; }
            }
            int x, y = 0;
            double best;
            while (true)
            {
                x = chain[length - 1];
                if (length > 1)
                {
                    y = chain[length - 2];
                    best = d[At(n, x, y)];
                }
                else best = double.PositiveInfinity;
                for (int i = 0; i < n; i++)
                {
                    if (size[i] == 0 || i == x) continue;
                    double v = d[At(n, x, i)];
                    if (v < best)
                    {
                        best = v;
                        y = i;
                    }
                }
                if (length > 1 && y == chain[length - 2]) break;
                chain[length++] = y;
            }
            length -= 2;
            if (x > y) (x, y) = (y, x);
            int nx = size[x], ny = size[y];
            left[k] = x;
            right[k] = y;
            height[k] = best;
            size[x] = 0;
            size[y] = nx + ny;
            for (int i = 0; i < n; i++)
            {
                int ni = size[i];
                if (ni == 0 || i == y) continue;
                double dxi = d[At(n, i, x)], dyi = d[At(n, i, y)], t = 1.0 / (nx + ny + ni);
                d[At(n, i, y)] = Math.Sqrt((ni + nx) * t * dxi * dxi + (ni + ny) * t * dyi * dyi - ni * t * best * best);
            }
        }
        // stable sort of the merges by height (insertion sort: n is a document's length)
        for (int k = 1; k < n - 1; k++)
        {
            double h = height[k];
            int l = left[k], r = right[k], j = k - 1;
            for (; j >= 0 && height[j] > h; j--)
            {
                height[j + 1] = height[j];
                left[j + 1] = left[j];
                right[j + 1] = right[j];
            }
            (height[j + 1], left[j + 1], right[j + 1]) = (h, l, r);
        }
        for (int i = 0; i < 2 * n - 1; i++) parent[i] = i;
        for (int k = 0; k < n - 1; k++)
        {
            int a = Find(left[k]), b = Find(right[k]);
            (left[k], right[k]) = a < b ? (a, b) : (b, a);
            parent[a] = parent[b] = n + k;
        }
    }

    private int Find(int x)
    {
        int root = x;
        while (parent[root] != root) root = parent[root];
        while (parent[x] != root) (x, parent[x]) = (parent[x], root);
        return root;
    }

    // fcluster(criterion="maxclust"): the smallest cut among the subtrees' largest heights that leaves at most `groups`
    // clusters (scipy's binary search), then the labels 1.. in scipy's traversal order. Returns the clusters made.
    private int Cut(int n, int groups)
    {
        for (int k = 0; k < n - 1; k++)
        {
            double m = height[k];
            if (left[k] >= n) m = Math.Max(m, maxHeight[left[k] - n]);
            if (right[k] >= n) m = Math.Max(m, maxHeight[right[k] - n]);
            maxHeight[k] = m;
        }
        int lower = -1, upper = n - 1;
        while (upper - lower > 1)
        {
            int mid = (lower + upper) >> 1;
            int below = 0; // merges at or under the cut: each joins two clusters (the heights grow up the tree)
            for (int k = 0; k < n - 1; k++) if (maxHeight[k] <= maxHeight[mid]) below++;
            if (n - below > groups) lower = mid;
            else upper = mid;
        }
        double cutoff = maxHeight[upper];
        Array.Clear(visited, 0, 2 * n - 1);
        int top = 0, made = 0, leader = -1;
        stack[0] = 2 * n - 2;
        while (top >= 0)
        {
            int node = stack[top] - n, l = left[node], r = right[node];
            if (leader == -1 && maxHeight[node] <= cutoff)
            {
                leader = node;
                made++;
            }
            if (l >= n && !visited[l])
            {
                visited[l] = true;
                stack[++top] = l;
                continue;
            }
            if (r >= n && !visited[r])
            {
                visited[r] = true;
                stack[++top] = r;
                continue;
            }
            if (l < n) labels[l] = leader == -1 ? ++made : made;
            if (r < n) labels[r] = leader == -1 ? ++made : made;
            if (leader == node) leader = -1;
            top--;
        }
        return made;
    }
}
