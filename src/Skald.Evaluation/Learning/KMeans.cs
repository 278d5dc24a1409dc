namespace Skald.Evaluation.Learning;

/// <summary>
/// k-means (Lloyd's algorithm, squared Euclidean distance) with k-means++ seeding and several restarts. MTEB clusters
/// with sklearn's MiniBatchKMeans; full-batch Lloyd is the exact version of the same objective.
/// </summary>
public static class KMeans
{
    /// <summary>Cluster index (0..k-1) of each row, and the winning run's inertia.</summary>
    public static (int[] Assignments, double Inertia) Fit(IReadOnlyList<float[]> x, int k, KMeansOptions? options = null)
    {
        options ??= new KMeansOptions();
        if (k < 1 || k > x.Count) throw new ArgumentException($"k = {k} must be between 1 and the number of rows ({x.Count})");
        var rng = new Random(options.Seed);
        int[]? best = null;
        double bestInertia = double.PositiveInfinity;
        for (int r = 0; r < Math.Max(1, options.Restarts); r++)
        {
            var centers = PlusPlus(x, k, rng);
            var (assign, inertia) = Lloyd(x, centers, options.MaxIterations);
            if (inertia < bestInertia) { bestInertia = inertia; best = assign; }
        }
        return (best!, bestInertia);
    }

    private static double[][] PlusPlus(IReadOnlyList<float[]> x, int k, Random rng)
    {
        var centers = new double[k][];
        centers[0] = x[rng.Next(x.Count)].Select(v => (double)v).ToArray();
        var dist = x.Select(row => Sq(row, centers[0])).ToArray();
        for (int c = 1; c < k; c++)
        {
            double total = dist.Sum(), u = rng.NextDouble() * total, acc = 0;
            int pick = x.Count - 1;
            if (total > 0)
            {
                for (int i = 0; i < x.Count; i++)
                {
                    acc += dist[i];
                    if (acc >= u) { pick = i; break; }
                }
            }
            else pick = rng.Next(x.Count);
            centers[c] = x[pick].Select(v => (double)v).ToArray();
            for (int i = 0; i < x.Count; i++) dist[i] = Math.Min(dist[i], Sq(x[i], centers[c]));
        }
        return centers;
    }

    private static (int[] Assign, double Inertia) Lloyd(IReadOnlyList<float[]> x, double[][] centers, int maxIterations)
    {
        int n = x.Count, k = centers.Length, d = x[0].Length;
        var assign = new int[n];
        Array.Fill(assign, -1);
        double inertia = 0;
        for (int it = 0; it < maxIterations; it++)
        {
            bool changed = false;
            inertia = 0;
            for (int i = 0; i < n; i++)
            {
                int bestC = 0;
                double bestD = double.PositiveInfinity;
                for (int c = 0; c < k; c++)
                {
                    double dd = Sq(x[i], centers[c]);
                    if (dd < bestD) { bestD = dd; bestC = c; }
                }
                inertia += bestD;
                if (assign[i] != bestC) { assign[i] = bestC; changed = true; }
            }
            if (!changed) break;
            var sums = new double[k][];
            var counts = new int[k];
            for (int c = 0; c < k; c++) sums[c] = new double[d];
            for (int i = 0; i < n; i++)
            {
                counts[assign[i]]++;
                for (int j = 0; j < d; j++) sums[assign[i]][j] += x[i][j];
            }
            for (int c = 0; c < k; c++)
            {
                if (counts[c] == 0) continue; // empty cluster keeps its centre
                for (int j = 0; j < d; j++) centers[c][j] = sums[c][j] / counts[c];
            }
        }
        return (assign, inertia);
    }

    private static double Sq(float[] a, double[] b)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++)
        {
            double t = a[j] - b[j];
            s += t * t;
        }
        return s;
    }
}
