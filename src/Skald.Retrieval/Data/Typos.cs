namespace Skald.Retrieval.Data;

/// <summary>
/// "Did you mean": the known word closest to a mistyped one (edit distance with transpositions). The one definition
/// behind the CLI's suggestions for verbs and options, the config readers' for keys and loss types, and the benchmark
/// suite reader's for keys (it sits here, below Training and Evaluation, so that all of them share it).
/// </summary>
public static class Typos
{
    /// <summary>The closest candidate within a small distance of <paramref name="word"/>, or null.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        int limit = Math.Max(1, word.TrimStart('-').Length / 3);
        foreach (var c in candidates)
        {
            int d = Distance(word, c);
            if (d <= limit && d < bestDistance)
            {
                best = c;
                bestDistance = d;
            }
        }
        return best;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
