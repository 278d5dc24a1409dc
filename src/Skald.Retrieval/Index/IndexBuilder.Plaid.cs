using Skald.Models.LateInteraction;
using Skald.Retrieval.Plaid;

namespace Skald.Retrieval.Index;

/// <summary>How <see cref="IndexBuilder"/> builds and grows a PLAID index: the codec trained on the token vectors, kept rows' codes copied.</summary>
public static partial class IndexBuilder
{
    /// <summary>
    /// Trains a PLAID codec on the token vectors of <paramref name="tokens"/> (<see cref="ResidualCodec.Train"/>, ColBERTv2's
    /// centroid count for all of them unless <paramref name="options"/> names one): a seeded sample of the vectors is
    /// copied, as many as k-means draws (<see cref="Ivf.KMeansOptions.PointsPerCentroid"/> a centroid) plus the 5% held
    /// out for the buckets, so the memory stays bounded however many rows there are. Settings that cannot code them are
    /// an <see cref="EvaluationException"/> naming <paramref name="folder"/>.
    /// </summary>
    private static ResidualCodec TrainPlaid(string folder, TokenVectors[] tokens, int dim, PlaidOptions options)
    {
        if (options.Bits is not (1 or 2 or 4) || dim % (8 * options.Bits) != 0)
            throw new EvaluationException($"{folder}: --plaid-nbits {options.Bits}: PLAID codes take 1, 2 or 4 bits a value, and {dim}-value vectors need a width that is a multiple of 8 × bits");
        if (options.Centroids < 0) throw new EvaluationException($"{folder}: --plaid-centroids {options.Centroids}: at least 1");
        long total = tokens.Sum(t => (long)t.Count);
        if (total < 2) throw new EvaluationException($"{folder}: a PLAID index trains its centroids on the documents' token vectors, and there are {total}");
        int count = options.Centroids > 0 ? options.Centroids : ResidualCodec.CentroidsFor(total, total);
        long wanted = Math.Min(total, (long)Math.Ceiling(count * (double)options.Training.PointsPerCentroid / 0.95) + 1);
        if (wanted * dim > Array.MaxLength) throw new EvaluationException($"{folder}: --plaid-centroids {count}: the k-means sample of {wanted} token vectors does not fit one array; ask for fewer centroids");
        // every vector when they all fit the sample, else a seeded draw without replacement (Floyd's algorithm)
        var picked = new SortedSet<long>();
        var random = new Random(options.Training.Seed);
        for (long j = total - wanted; j < total; j++)
        {
            long t = random.NextInt64(j + 1);
            picked.Add(picked.Contains(t) ? j : t);
        }
        var sample = new float[wanted * dim];
        long at = 0, first = 0;
        int row = 0;
        foreach (long index in picked)
        {
            while (index >= first + tokens[row].Count) first += tokens[row++].Count;
            tokens[row].Row((int)(index - first)).CopyTo(sample.AsSpan((int)(at++ * dim), dim));
        }
        return ResidualCodec.Train(sample, (int)wanted, dim, count, options.Bits, options.Training);
    }

    /// <summary>The fresh rows' token vectors in the order <paramref name="sources"/> writes them (kept rows are copied by <see cref="KeptPlaidRows"/>).</summary>
    private static IEnumerable<ReadOnlyMemory<float>> FreshTokenRows(TokenVectors[] fresh, int kept, int[] sources) =>
        sources.Where(i => i >= kept).Select(i => (ReadOnlyMemory<float>)fresh[i - kept].Values);

    /// <summary>A PLAID index's old codec and, per row written, the old row whose codes it keeps (−1: a fresh row coded with the same centroids).</summary>
    private static PlaidWrite KeptPlaidRows(SearchIndex index, List<int> keptRows, int[] sources)
    {
        var rows = index.TokenStore!;
        return new PlaidWrite(rows.Codec!, rows, [.. sources.Select(i => i < keptRows.Count ? keptRows[i] : -1)]);
    }
}
