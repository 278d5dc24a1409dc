using System.Globalization;
using Skald.Retrieval.Models;

namespace Skald.Data.Generation;

/// <summary>
/// Which queries of a <see cref="GeneratedSet"/> are held out for evaluation. <see cref="HeldOutUnit.Queries"/> (the
/// default) draws single queries, shuffled by the seed: a held-out query's passage is usually a training positive
/// through another query about it, which is the point when the test is to measure new questions about the documents
/// adapted to. <see cref="HeldOutUnit.Documents"/> holds out whole source documents: all their passages, and so all
/// their queries, land on one side, so no test positive (nor an overlapping neighbour chunk of it, nor its section's
/// heading) was trained on. With a single document there is nothing to split by document, so its passages are the
/// unit (a neighbour's overlap can then leak). Documents are taken in an order shuffled by the seed, and each one that
/// brings the held-out query count closer to the asked share is held out, so the share is met as closely as whole
/// documents allow; when every document overshoots, the smallest is held out, and at least one unit stays for training.
/// </summary>
public static class HeldOutSplit
{
    /// <summary>The indices into <see cref="GeneratedSet.Queries"/> of the held-out queries.</summary>
    /// <param name="set">The generated data.</param>
    /// <param name="fraction">Share of queries to hold out, in [0, 1) (0: none).</param>
    /// <param name="seed">Seed of the choice: the same set and seed give the same split.</param>
    /// <param name="unit">What is held out: single queries, or whole documents with all their queries.</param>
    public static HashSet<int> Choose(GeneratedSet set, double fraction, int seed, HeldOutUnit unit = HeldOutUnit.Queries)
    {
        if (fraction is < 0 or >= 1) throw new DataException($"test fraction must be in [0, 1), got {fraction.ToString(CultureInfo.InvariantCulture)}");
        return unit == HeldOutUnit.Documents ? ByDocument(set, fraction, seed) : ByQuery(set.Queries.Count, fraction, seed);
    }

    /// <summary>Round(count × fraction) queries, at least one and at most count − 1, drawn in a seeded shuffle.</summary>
    private static HashSet<int> ByQuery(int count, double fraction, int seed)
    {
        int n = (int)Math.Round(count * fraction);
        if (fraction > 0 && count > 1) n = Math.Clamp(n, 1, count - 1);
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return [.. order.Take(n)];
    }

    private static HashSet<int> ByDocument(GeneratedSet set, double fraction, int seed)
    {
        var held = new HashSet<int>();
        if (fraction == 0 || set.Queries.Count < 2) return held;
        var units = Units(set, DocumentOf);
        if (units.Count < 2) units = Units(set, id => id);
        if (units.Count < 2) return held;
        var order = Enumerable.Range(0, units.Count).ToArray();
        new Random(seed).Shuffle(order);
        double target = set.Queries.Count * fraction;
        int taken = 0, heldUnits = 0;
        foreach (int u in order)
        {
            if (heldUnits == units.Count - 1) break; // keep something to train on
            int size = units[u].Count;
            if (Math.Abs(taken + size - target) >= Math.Abs(taken - target)) continue;
            held.UnionWith(units[u]);
            taken += size;
            heldUnits++;
        }
        if (held.Count == 0) held.UnionWith(units.MinBy(u => u.Count)!); // every unit overshoots: the smallest one
        return held;
    }

    /// <summary>
    /// The passages a model trained on the non-held-out queries may see, for negatives or a vocabulary: every passage
    /// but the held-out positives and the other passages of a document only held-out queries come from. In
    /// <see cref="HeldOutUnit.Documents"/> mode that keeps the held-out documents out of training altogether.
    /// </summary>
    /// <param name="set">The generated data.</param>
    /// <param name="held">The held-out query indices (<see cref="Choose"/>).</param>
    public static List<CorpusDocument> TrainingPassages(GeneratedSet set, IReadOnlySet<int> held)
    {
        var trainedPassages = new HashSet<string>(StringComparer.Ordinal);
        var trainedDocuments = new HashSet<string>(StringComparer.Ordinal);
        var heldPassages = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < set.Queries.Count; i++)
        {
            string passage = set.Queries[i].DocumentId;
            if (held.Contains(i)) heldPassages.Add(passage);
            else
            {
                trainedPassages.Add(passage);
                trainedDocuments.Add(DocumentOf(passage));
            }
        }
        var heldDocuments = heldPassages.Select(DocumentOf).Where(d => !trainedDocuments.Contains(d)).ToHashSet(StringComparer.Ordinal);
        return [.. set.Corpus.Where(c => trainedPassages.Contains(c.Id) || (!heldPassages.Contains(c.Id) && !heldDocuments.Contains(DocumentOf(c.Id))))];
    }

    /// <summary>The document a passage id belongs to: <c>d3</c> for the chunk id <c>d3-c7</c>; any other id is its own.</summary>
    public static string DocumentOf(string passageId)
    {
        int cut = passageId.LastIndexOf("-c", StringComparison.Ordinal);
        return passageId.Length > 1 && passageId[0] == 'd' && cut > 1 && AllDigits(passageId.AsSpan(1, cut - 1)) && AllDigits(passageId.AsSpan(cut + 2))
            ? passageId[..cut] : passageId;
    }

    private static bool AllDigits(ReadOnlySpan<char> s) => s.Length > 0 && !s.ContainsAnyExceptInRange('0', '9');

    /// <summary>The query indices of each unit that has queries, units in order of their first query.</summary>
    private static List<List<int>> Units(GeneratedSet set, Func<string, string> unitOf)
    {
        var byUnit = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var units = new List<List<int>>();
        for (int i = 0; i < set.Queries.Count; i++)
        {
            string key = unitOf(set.Queries[i].DocumentId);
            if (!byUnit.TryGetValue(key, out var list))
            {
                byUnit[key] = list = [];
                units.Add(list);
            }
            list.Add(i);
        }
        return units;
    }
}
