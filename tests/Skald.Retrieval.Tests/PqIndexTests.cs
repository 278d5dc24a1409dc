using System.Numerics.Tensors;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Index folders of product-quantized codes (<c>index build --pq M</c>, with or without <c>--ivf-lists</c>): the codes
/// written are the codebooks' codes of the stored rows, the codes' scores rank as the decoded rows do, rescored hits
/// carry float scores, <c>index add</c> keeps the codebooks, evaluation answers as the index does, and impossible or
/// damaged input is named.
/// </summary>
public sealed class PqIndexTests
{
    private static string Folder() => Path.Combine(Directory.CreateTempSubdirectory("skald-pq-index").FullName, "idx");

    private static IndexManifest Build(string folder, TableModel model, List<IndexRecord> records, IvfOptions? ivf, int subspaces,
        EmbeddingPrecision precision = EmbeddingPrecision.Float32, int bits = 8) =>
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0, null, precision, ivf,
            pq: new ProductQuantizerOptions { Subspaces = subspaces, Bits = bits });

    private static IReadOnlyList<IndexHit> Dense(SearchIndex index, float[] q, int k, int rescore, int probes = 0) =>
        index.Search("x", q, SearchMode.Dense, k, null, rescore, probes);

    /// <summary>Each live row's score as its decoded code gives it (plus its list's centroid for residual codes), best first.</summary>
    internal static int[] ByDecodedRows(SearchIndex index, float[] query, int k)
    {
        var pq = index.ProductQuantizer!;
        var codes = File.ReadAllBytes(Path.Combine(index.Folder, IndexWriter.PqCodesFile));
        var q = ExactSearch.Normalize([query])[0];
        var decoded = new float[pq.Dimension];
        var code = new byte[pq.Subspaces];
        var scores = new float[index.Records.Count];
        // Codes of b bits, 4 for at most 16 centroids, else the fewest naming every centroid, read bit by bit: code s of
        // a row is its bits [s·b, (s + 1)·b), lowest first (faiss's order; one byte a code at 8 bits, two at 4).
        int bits = Math.Max(4, (int)Math.Ceiling(Math.Log2(pq.Centroids))), width = (pq.Subspaces * bits + 7) / 8;
        for (int r = 0; r < scores.Length; r++)
        {
            for (int s = 0; s < pq.Subspaces; s++)
            {
                int value = 0;
                for (int i = 0; i < bits; i++)
                {
                    int at = s * bits + i;
                    value |= (codes[r * width + at / 8] >> (at % 8) & 1) << i;
                }
                code[s] = (byte)value;
            }
            pq.Decode(code, decoded);
            if (index.Lists is { } lists)
                TensorPrimitives.Add(decoded, lists.Centroids.Slice(lists.ListOf(r) * pq.Dimension, pq.Dimension), decoded);
            scores[r] = TensorPrimitives.Dot(q, decoded);
        }
        return [.. Enumerable.Range(0, scores.Length).Where(r => !index.Deleted.Contains(r)).OrderByDescending(r => scores[r]).ThenBy(r => r).Take(k)];
    }

    [Fact]
    public void CodesAreTheStoredRowsCodesAndScoreAsTheirDecodedRows()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(1500);
        string exactFolder = Folder(), pqFolder = Folder();
        IndexBuilder.Build(exactFolder, model, exactFolder, records, new Bm25Options(), "nb", 0, 0);
        var manifest = Build(pqFolder, model, records, null, subspaces: 4);
        Assert.Equal((4, 8), (manifest.PqSubspaces, manifest.PqBits));
        using var exact = SearchIndex.Open(exactFolder);
        using var index = SearchIndex.Open(pqFolder);
        var pq = index.ProductQuantizer!;
        Assert.Equal((4, 256), (pq.Subspaces, pq.Centroids));
        var stored = Enumerable.Range(0, index.Records.Count).Select(r => index.Vector(r).ToArray()).ToArray();
        Assert.Equal(ProductCodes.Encode(pq, stored).ToStored(), File.ReadAllBytes(Path.Combine(pqFolder, IndexWriter.PqCodesFile)));
        int agree = 0;
        foreach (var q in queries)
        {
            var plain = Dense(index, q, 10, rescore: 0);
            Assert.Equal(ByDecodedRows(index, q, 10), plain.Select(h => h.Row));
            var rescored = Dense(index, q, 10, rescore: 5);
            var nq = ExactSearch.Normalize([q])[0];
            Assert.All(rescored, h => Assert.Equal(TensorPrimitives.Dot(nq, stored[h.Row]), h.Score, 1e-6f)); // the float rows' scores
            agree += rescored.Select(h => h.Record.Id).Intersect(Dense(exact, q, 10, 2).Select(h => h.Record.Id)).Count();
        }
        Assert.True(agree >= 0.95 * 10 * queries.Length, $"rescored PQ hits found {agree} of the exact index's {10 * queries.Length}");
    }

    [Fact]
    public void FourBitCodesAreStoredTwoToAByteAndAnIndexOfByteCodesStillOpens()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(1200, seed: 6);
        foreach (var ivf in new[] { null, new IvfOptions { Lists = 10, Probes = 10 } })
        {
            string folder = Folder();
            var manifest = Build(folder, model, records, ivf, subspaces: 8, bits: 4);
            Assert.Equal(4, manifest.PqBits);
            string path = Path.Combine(folder, IndexWriter.PqCodesFile);
            Assert.Equal(1200L * 4, new FileInfo(path).Length); // 8 sub-vectors of 4 bits: 4 bytes a row
            int[][] found;
            using (var index = SearchIndex.Open(folder))
            {
                Assert.Equal(16, index.ProductQuantizer!.Centroids);
                var stored = Enumerable.Range(0, index.Records.Count).Select(r => index.Vector(r).ToArray()).ToArray();
                var codes = ProductCodes.Encode(index.ProductQuantizer, stored, index.Lists);
                Assert.Equal(codes.ToStored(), File.ReadAllBytes(path));
                found = [.. queries.Select(q => Dense(index, q, 8, rescore: 0).Select(h => h.Row).ToArray())];
                for (int i = 0; i < queries.Length; i++) Assert.Equal(ByDecodedRows(index, queries[i], 8), found[i]);
                // The file as Skald wrote 4-bit codes before packing them: a byte a code.
                File.WriteAllBytes(path, ProductQuantizerTests.AllCodes(codes));
            }
            using (var index = SearchIndex.Open(folder))
                for (int i = 0; i < queries.Length; i++) Assert.Equal(found[i], Dense(index, queries[i], 8, rescore: 0).Select(h => h.Row));
            File.WriteAllBytes(path, new byte[1200 * 4 + 1]);
            Assert.Contains("of 4-byte codes need 4800", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
        }
    }

    [Fact]
    public void IvfPqCodesAreResidualsAndAddedRowsUseTheSameCodebooks()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(900, seed: 2);
        string folder = Folder();
        var manifest = Build(folder, model, records[..800], new IvfOptions { Lists = 12, Probes = 3 }, subspaces: 8);
        Assert.Equal((12, 8), (manifest.IvfLists, manifest.PqSubspaces));
        byte[] codebooks = File.ReadAllBytes(Path.Combine(folder, IndexWriter.PqFile));
        Assert.Equal(4, IndexBuilder.Delete(folder, ["doc10"], []));
        var (added, _) = IndexBuilder.Add(folder, model, records[800..]);
        Assert.Equal(100, added);
        Assert.Equal(codebooks, File.ReadAllBytes(Path.Combine(folder, IndexWriter.PqFile)));
        using var index = SearchIndex.Open(folder);
        Assert.Equal(896, index.Records.Count);
        var stored = Enumerable.Range(0, index.Records.Count).Select(r => index.Vector(r).ToArray()).ToArray();
        Assert.Equal(ProductCodes.Encode(index.ProductQuantizer!, stored, index.Lists).ToStored(), File.ReadAllBytes(Path.Combine(folder, IndexWriter.PqCodesFile)));
        foreach (var q in queries)
        {
            Assert.Equal(ByDecodedRows(index, q, 8), Dense(index, q, 8, rescore: 0, probes: 12).Select(h => h.Row));
            var probed = new int[3];
            index.Lists!.Probe(ExactSearch.Normalize([q])[0], probed);
            Assert.All(Dense(index, q, 8, rescore: 2), h => Assert.Contains(index.Lists.ListOf(h.Row), probed));
        }
    }

    [Fact]
    public void EvaluationWithPqAnswersAsThePqIndex()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(1000, seed: 4);
        string folder = Folder();
        Build(folder, model, records, null, subspaces: 4);
        using var index = SearchIndex.Open(folder);
        var corpus = records.Select(r => new Models.CorpusDocument(r.Id, "", r.Text)).ToList();
        var texts = Enumerable.Range(0, queries.Length).Select(i => $"spørsmål {i}").ToList();
        var retriever = new DenseRetriever(model, quantization: new QuantizedSearchOptions(EmbeddingPrecision.Float32, 2)
        {
            Product = new ProductQuantizerOptions { Subspaces = 4 },
        });
        Assert.Contains("PQ 4 × 8 bits, top 10 rescored from the best 20 with the float embeddings", retriever.Metadata["search"]);
        var hits = retriever.Search(corpus, texts, 10, null);
        for (int q = 0; q < queries.Length; q++)
            Assert.Equal(Dense(index, queries[q], 10, rescore: 2).Select(h => h.Record.Id), hits[q].Select(h => corpus[h.Index].Id));
    }

    [Fact]
    public void ImpossibleSettingsAndDamagedFilesAreNamed()
    {
        var (model, records, _) = IvfIndexTests.Corpus(300, seed: 6);
        Assert.Contains("divisor", Assert.Throws<EvaluationException>(() => Build(Folder(), model, records, null, subspaces: 5)).Message);
        Assert.Contains("choose one", Assert.Throws<EvaluationException>(() => Build(Folder(), model, records, null, 4, EmbeddingPrecision.Int8)).Message);
        Assert.Contains("none", Assert.Throws<EvaluationException>(() => Build(Folder(), model, [], null, 4)).Message);
        string folder = Folder();
        Build(folder, model, records, null, 4);
        string codes = Path.Combine(folder, IndexWriter.PqCodesFile);
        File.WriteAllBytes(codes, File.ReadAllBytes(codes)[..100]);
        Assert.StartsWith(codes, Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
        string books = Path.Combine(folder, IndexWriter.PqFile);
        File.WriteAllBytes(books, File.ReadAllBytes(books)[..30]);
        Assert.StartsWith(books, Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
        File.Delete(books);
        Assert.Contains("missing", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);

        // 100 rows train 100 centroids per sub-vector: a code of 127 names none (a damaged file, never a read past the table).
        string small = Folder();
        Build(small, model, records[..100], null, 4);
        string smallCodes = Path.Combine(small, IndexWriter.PqCodesFile);
        var bytes = File.ReadAllBytes(smallCodes);
        bytes[36] = 255; // 7-bit codes, 4 bytes a row: row 9's first code reads 127
        File.WriteAllBytes(smallCodes, bytes);
        var e = Assert.Throws<EvaluationException>(() => SearchIndex.Open(small));
        Assert.StartsWith(smallCodes, e.Message);
        Assert.Contains("code byte 255 (byte 0 of 4) at row 9", e.Message);
        var pq = ProductQuantizer.Read(Path.Combine(small, IndexWriter.PqFile), 16);
        Assert.Equal(100, pq.Centroids);
        Assert.Throws<ArgumentException>(() => new ProductCodes(pq, 100, bytes, residual: false));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4)] // the walk reads the stored 4-bit codes one by one, the flat index scans them in blocks
    public void AGraphOverCodesWalksTheCodesAndRescoresWithTheFloatRows(int bits)
    {
        var (model, records, queries) = IvfIndexTests.Corpus(800, seed: 7);
        string folder = Folder(), flat = Folder();
        var manifest = IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0,
            hnsw: new Hnsw.HnswOptions { M = 8 }, pq: new ProductQuantizerOptions { Subspaces = 4, Bits = bits });
        Assert.Equal((8, 4, bits), (manifest.HnswM, manifest.PqSubspaces, manifest.PqBits));
        Build(flat, model, records, null, subspaces: 4, bits: bits);
        using var index = SearchIndex.Open(folder);
        using var codesOnly = SearchIndex.Open(flat);
        Assert.NotNull(index.Graph);
        var stored = Enumerable.Range(0, index.Records.Count).Select(r => index.Vector(r).ToArray()).ToArray();
        foreach (var q in queries)
        {
            // A walk keeping every row as a candidate reaches the whole graph: the codes' own ranking, as the scan's.
            var walked = index.Search("x", q, SearchMode.Dense, 10, null, 0, 0, ef: 800);
            Assert.Equal(ByDecodedRows(index, q, 10), walked.Select(h => h.Row));
            Assert.Equal(Dense(codesOnly, q, 10, rescore: 0).Select(h => h.Record.Id), walked.Select(h => h.Record.Id));
            var nq = ExactSearch.Normalize([q])[0];
            Assert.All(Dense(index, q, 10, rescore: 3), h => Assert.Equal(TensorPrimitives.Dot(nq, stored[h.Row]), h.Score, 1e-6f));
        }
        // Evaluation's graph over codes answers as the scan does when the walk keeps every row.
        var corpus = records.Select(r => new Models.CorpusDocument(r.Id, "", r.Text)).ToList();
        var texts = Enumerable.Range(0, queries.Length).Select(i => $"spørsmål {i}").ToList();
        var graphRetriever = new DenseRetriever(model, quantization: new QuantizedSearchOptions(EmbeddingPrecision.Float32, 0)
        {
            Product = new ProductQuantizerOptions { Subspaces = 4, Bits = bits },
        }, hnsw: new Hnsw.HnswOptions { M = 8, EfSearch = 800 });
        var hits = graphRetriever.Search(corpus, texts, 10, null);
        for (int q = 0; q < queries.Length; q++)
        {
            var scanned = Dense(codesOnly, queries[q], 10, rescore: 0);
            Assert.Equal(scanned.Select(h => h.Score), hits[q].Select(h => h.Score));
            // 16 centroids in 4 sub-vectors leave rows with equal codes: evaluation breaks their ties by trec_eval's
            // rule (document id descending), the index by row, so ids are compared only for 8-bit codes.
            if (bits == 8) Assert.Equal(scanned.Select(h => h.Record.Id), hits[q].Select(h => corpus[h.Index].Id));
        }
    }
}
