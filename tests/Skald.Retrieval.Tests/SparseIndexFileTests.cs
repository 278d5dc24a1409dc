using System.Buffers.Binary;
using Skald.Models;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A sparse index's postings on disk (<c>sparse.postings</c>, mapped at open): the file holds each term's documents and
/// weights and each row's offset as computed here from the rows, a search through the mapping ranks as a brute-force dot
/// product (and as an index of the same rows without the file, read whole), rows come back as written, added rows land
/// in new postings, and damage is named.
/// </summary>
public sealed class SparseIndexFileTests
{
    private const int Dim = 40;

    private static string Folder() => Path.Combine(Directory.CreateTempSubdirectory("skald-sparse-file").FullName, "idx");

    /// <summary>n records with sparse non-negative vectors (about 5 of 40 entries), two of them equal (a tie), and queries.</summary>
    private static (SparseRetrievalTests.SparseTable Model, List<IndexRecord> Records, float[][] Rows, float[][] Queries) Corpus(int n, int seed)
    {
        var random = new Random(seed);
        float[] Vector()
        {
            var v = new float[Dim];
            for (int k = 0; k < 5; k++) v[random.Next(Dim)] = MathF.Round((float)random.NextDouble() * 8f) / 8f + 0.125f;
            return v;
        }
        var rows = Enumerable.Range(0, n).Select(_ => Vector()).ToArray();
        rows[7] = rows[3];
        var queries = Enumerable.Range(0, 10).Select(_ => Vector()).ToArray();
        var vectors = new Dictionary<string, float[]>();
        var records = new List<IndexRecord>();
        for (int i = 0; i < n; i++)
        {
            string text = $"tekst {i}";
            vectors[text] = rows[i];
            records.Add(new IndexRecord($"r{i}", $"doc{i}", $"doc{i}.txt", 0, text.Length, "", text));
        }
        for (int i = 0; i < queries.Length; i++) vectors[$"spørsmål {i}"] = queries[i];
        return (new SparseRetrievalTests.SparseTable(vectors), records, rows, queries);
    }

    private static int[] BruteForce(float[][] rows, float[] q, int k) =>
        [.. Enumerable.Range(0, rows.Length).OrderByDescending(r => Enumerable.Range(0, Dim).Sum(t => (double)rows[r][t] * q[t])).ThenBy(r => r).Take(k)];

    private static int[] Dense(SearchIndex index, float[] q, int k) =>
        [.. index.Search("x", q, SearchMode.Dense, k, null, 0, 0).Select(h => h.Row)];

    [Fact]
    public void ThePostingsFileHoldsEveryTermsDocumentsAndEveryRowsOffset()
    {
        var (model, records, rows, _) = Corpus(150, seed: 1);
        string folder = Folder();
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0);
        var bytes = File.ReadAllBytes(Path.Combine(folder, IndexWriter.PostingsFile));
        Assert.Equal("SKALDSPI"u8.ToArray(), bytes[..8]);
        int nnz = rows.Sum(r => r.Count(v => v != 0));
        Assert.Equal((150, Dim, (long)nnz), (BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)), BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12)),
            BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16))));
        long offset = 16; // embeddings.sparse: magic, rows, dimension, then per row its count, ids and weights
        for (int r = 0; r <= 150; r++)
        {
            Assert.Equal(offset, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(24 + 8 * r)));
            if (r < 150) offset += 4 + 8L * rows[r].Count(v => v != 0);
        }
        Assert.Equal(offset, new FileInfo(Path.Combine(folder, IndexWriter.SparseFile)).Length);
        int startsAt = 24 + 8 * 151, idsAt = startsAt + 4 * (Dim + 1), weightsAt = idsAt + 4 * nnz;
        Assert.Equal(weightsAt + 4 * nnz, bytes.Length);
        for (int t = 0; t < Dim; t++)
        {
            int from = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(startsAt + 4 * t)), to = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(startsAt + 4 * t + 4));
            var expected = Enumerable.Range(0, 150).Where(r => rows[r][t] != 0).ToArray();
            Assert.Equal(expected, Enumerable.Range(from, to - from).Select(p => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(idsAt + 4 * p))));
            Assert.Equal(expected.Select(r => rows[r][t]), Enumerable.Range(from, to - from).Select(p => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(weightsAt + 4 * p))));
        }
    }

    [Fact]
    public void AMappedIndexSearchesAsABruteForceDotAndReturnsItsRows()
    {
        var (model, records, rows, queries) = Corpus(300, seed: 2);
        string folder = Folder();
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0);
        int[][] mapped;
        using (var index = SearchIndex.Open(folder))
        {
            mapped = [.. queries.Select(q => Dense(index, q, 12))];
            for (int i = 0; i < queries.Length; i++) Assert.Equal(BruteForce(rows, queries[i], 12), mapped[i]);
            for (int r = 0; r < rows.Length; r++)
            {
                var row = index.SparseRow(r)!;
                Assert.Equal(Enumerable.Range(0, Dim).Where(t => rows[r][t] != 0), row.Indices);
                Assert.Equal(rows[r].Where(v => v != 0), row.Values);
                Assert.Equal(rows[r], index.Vector(r).ToArray());
            }
        }
        // An index written before the postings file existed: read whole, the same hits.
        File.Delete(Path.Combine(folder, IndexWriter.PostingsFile));
        using (var index = SearchIndex.Open(folder))
            for (int i = 0; i < queries.Length; i++) Assert.Equal(mapped[i], Dense(index, queries[i], 12));
    }

    [Fact]
    public void AddedRowsLandInNewPostings()
    {
        var (model, records, rows, queries) = Corpus(200, seed: 3);
        string folder = Folder();
        IndexBuilder.Build(folder, model, folder, records[..150], new Bm25Options(), "nb", 0, 0);
        var (added, _) = IndexBuilder.Add(folder, model, records[150..]);
        Assert.Equal(50, added);
        using (var index = SearchIndex.Open(folder))
            for (int i = 0; i < queries.Length; i++) Assert.Equal(BruteForce(rows, queries[i], 10), Dense(index, queries[i], 10));
        // Deleting documents, then adding again over the mapped files: the kept rows are copied out of the old index.
        Assert.Equal(2, IndexBuilder.Delete(folder, ["doc10", "doc20"], []));
        IndexBuilder.Add(folder, model, [records[10]]);
        var kept = Enumerable.Range(0, 200).Where(r => r != 10 && r != 20).Append(10).ToArray(); // doc10 comes back as the last row
        using (var index = SearchIndex.Open(folder))
        {
            Assert.Equal(199, index.Records.Count - index.Deleted.Count);
            var live = Enumerable.Range(0, index.Records.Count).Where(r => !index.Deleted.Contains(r)).ToArray();
            Assert.Equal(kept.Select(r => records[r].Id), live.Select(r => index.Records[r].Id));
            foreach (int r in live) Assert.Equal(rows[int.Parse(index.Records[r].Id[1..], System.Globalization.CultureInfo.InvariantCulture)], index.Vector(r).ToArray());
            var liveRows = live.Select(r => index.Vector(r).ToArray()).ToArray();
            for (int i = 0; i < queries.Length; i++)
                Assert.Equal(BruteForce(liveRows, queries[i], 10).Select(j => live[j]), Dense(index, queries[i], 10));
        }
    }

    [Fact]
    public void DamageToEitherFileIsNamed()
    {
        var (model, records, _, _) = Corpus(120, seed: 4);
        string folder = Folder();
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0);
        string postings = Path.Combine(folder, IndexWriter.PostingsFile), sparseRows = Path.Combine(folder, IndexWriter.SparseFile);
        var good = File.ReadAllBytes(postings);

        File.WriteAllBytes(postings, good[..^3]);
        Assert.Contains("sparse.postings", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);

        var bad = (byte[])good.Clone();
        int idsAt = 24 + 8 * 121 + 4 * (Dim + 1);
        BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(idsAt), 5000); // the first posting names no document
        File.WriteAllBytes(postings, bad);
        using (var index = SearchIndex.Open(folder)) // postings are read by the searches that need them
        {
            var e = Record.Exception(() => Dense(index, [.. Enumerable.Repeat(1f, Dim)], 5)); // every term's list
            Assert.Contains("sparse.postings: posting 0 names document 5000 of 120", Assert.IsType<EvaluationException>(e).Message);
        }

        bad = (byte[])good.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(bad.AsSpan(24 + 8 * 2), long.MaxValue); // row 2's offset far past the end
        File.WriteAllBytes(postings, bad);
        Assert.Contains("sparse.postings: row 2's offset", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);

        bad = (byte[])good.Clone();
        int secondPosting = idsAt + 4;
        BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(secondPosting), BinaryPrimitives.ReadInt32LittleEndian(bad.AsSpan(idsAt))); // a repeat
        File.WriteAllBytes(postings, bad);
        using (var index = SearchIndex.Open(folder))
            Assert.Contains("(index damaged?)", Assert.Throws<EvaluationException>(() => Dense(index, [.. Enumerable.Repeat(1f, Dim)], 5)).Message);

        File.WriteAllBytes(postings, good);
        File.WriteAllBytes(sparseRows, File.ReadAllBytes(sparseRows)[..^4]);
        Assert.Contains("embeddings.sparse", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
    }
}
