using System.Text.Json;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A late-interaction (ColBERT) index built, added to, deleted from and searched through <see cref="TextIndex"/> with the
/// fixture PyLate model: its exact MaxSim hits are those of <see cref="LateInteractionRetriever"/> over the same live
/// documents (order, and scores within 1e-6) and of make_colbert.py's PyTorch MaxSim (expected_scores.json, within
/// 1e-5); hybrid fuses the MaxSim scores; an index of the other kind or model is refused in one line naming the
/// fingerprint mismatch; damaged token files are named.
/// </summary>
public sealed class LateInteractionIndexTests
{
    private static readonly string Model = TestPaths.FixtureModel("colbert-bert-tiny");

    private static readonly string[] Texts =
        [.. File.ReadLines(Path.Combine(Model, "expected_documents.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)];

    private static float[][] PyTorchScores()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "expected_scores.json")));
        return [.. doc.RootElement.GetProperty("scores").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray())];
    }

    private static IndexRecord Row(int d) => TextIndex.Record($"d{d}", Texts[d]);

    /// <summary>Every live row's hit, compared with the retriever over the documents <paramref name="live"/> and with PyTorch's scores.</summary>
    private static void AssertHitsAreExactMaxSim(SearchIndex index, MultiVectorEmbeddingModel model, int[] live, int[] queries)
    {
        var pytorch = PyTorchScores();
        var corpus = live.Select(d => new CorpusDocument($"d{d}", "", Texts[d])).ToArray();
        var expected = new LateInteractionRetriever((ColbertEncoder)model.Encoder).Search(corpus, [.. queries.Select(q => Texts[q])], live.Length, null);
        for (int i = 0; i < queries.Length; i++)
        {
            var hits = TextIndex.Search(index, model, Texts[queries[i]], SearchMode.Dense, topK: live.Length + 5);
            Assert.Equal(live.Length, hits.Count);
            for (int h = 0; h < hits.Count; h++)
            {
                Assert.Equal(corpus[expected[i][h].Index].Id, hits[h].Record.Id);
                Assert.True(Math.Abs(expected[i][h].Score - hits[h].Score) <= 1e-6, $"query {queries[i]}, hit {h}: {hits[h].Score} vs {expected[i][h].Score}");
                int d = int.Parse(hits[h].Record.Id[1..], System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(pytorch[queries[i]][d] - hits[h].Score) <= 1e-5, $"query {queries[i]}, d{d}: {hits[h].Score} vs PyTorch {pytorch[queries[i]][d]}");
            }
        }
    }

    [Fact]
    public void AnIndexRanksEveryRowByExactMaxSimAsTheRetrieverAndPyTorchDo()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = MultiVectorEmbeddingModel.Load(Model, batchSize: 5);
        int[] docs = [.. Enumerable.Range(0, Texts.Length)];
        var manifest = TextIndex.Build(folder, model, [.. docs.Select(Row)]);
        Assert.Equal("colbert", manifest.MultiVector);
        using var index = TextIndex.Open(folder, model);
        Assert.True(index.IsMultiVector);
        AssertHitsAreExactMaxSim(index, model, docs, [1, 5, 17, 30]);

        // Each row's stored token vectors are the model's, and its one vector their mean at unit length.
        var encoded = model.Encode([Texts[7]], TextRole.Document)[0];
        Assert.Equal(encoded.Values, index.Tokens(7).ToArray());
        Assert.Equal(MultiVectorEmbeddingModel.Pool(encoded), index.Vector(7).ToArray());
    }

    [Fact]
    public void AddedReplacedAndDeletedRowsAreSearchedAsTheLiveDocuments()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = MultiVectorEmbeddingModel.Load(Model);
        TextIndex.Build(folder, model, [.. Enumerable.Range(0, 12).Select(Row)]);
        IndexBuilder.Delete(folder, ["d4", "d9"], []);
        // d2 comes again with another text (its old row is replaced), 12..15 are new; the deleted rows are compacted away.
        var again = TextIndex.Record("d2", Texts[20]);
        var (added, replaced) = TextIndex.Add(folder, model, [again, .. Enumerable.Range(12, 4).Select(Row)]);
        Assert.Equal((5, 1), (added, replaced));
        using var index = TextIndex.Open(folder, model);
        Assert.Equal(14, index.Records.Count);
        Assert.Empty(index.Deleted);
        var byId = index.Records.Select((r, i) => (r.Id, i)).ToDictionary(x => x.Id, x => x.i);
        Assert.Equal(model.Encode([Texts[20]], TextRole.Document)[0].Values, index.Tokens(byId["d2"]).ToArray());
        Assert.Equal(model.Encode([Texts[11]], TextRole.Document)[0].Values, index.Tokens(byId["d11"]).ToArray()); // a kept row copied over whole

        IndexBuilder.Delete(folder, ["d13"], []);
        using var deleted = TextIndex.Open(folder, model);
        var hits = TextIndex.Search(deleted, model, Texts[3], SearchMode.Dense, topK: 50);
        Assert.Equal(13, hits.Count);
        Assert.DoesNotContain(hits, h => h.Record.Id is "d13" or "d4" or "d9");
        var d2 = hits.Single(h => h.Record.Id == "d2");
        Assert.True(Math.Abs(PyTorchScores()[3][20] - d2.Score) <= 1e-5); // scored with its new text
    }

    [Fact]
    public void HybridSearchFusesBm25WithTheMaxSimScores()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = MultiVectorEmbeddingModel.Load(Model);
        TextIndex.Build(folder, model, [.. Enumerable.Range(0, Texts.Length).Select(Row)]);
        using var index = TextIndex.Open(folder, model);
        string query = Texts[5];
        var tokens = model.Encode([query], TextRole.Query)[0];
        var rerank = index.SearchTokens(query, tokens, SearchMode.Hybrid, 5, FusionOptions.Default with { Mode = HybridMode.Rerank });
        var bm25 = index.SearchTokens(query, null, SearchMode.Bm25, FusionOptions.Default.Candidates);
        Assert.NotEmpty(rerank);
        var pytorch = PyTorchScores();
        // BM25's candidates, ordered by their MaxSim (PyTorch's scores)
        var expected = bm25.OrderByDescending(h => pytorch[5][h.Row]).ThenBy(h => h.Row).Take(5).ToArray();
        Assert.Equal(expected.Select(h => h.Record.Id), rerank.Select(h => h.Record.Id));
        var fused = index.SearchTokens(query, tokens, SearchMode.Hybrid, 5);
        var dense = index.SearchTokens(query, tokens, SearchMode.Dense, FusionOptions.Default.Candidates);
        var reference = Fusion.Fuse([.. bm25.Select(h => new Hit(h.Row, h.Score))], [.. dense.Select(h => new Hit(h.Row, h.Score))], FusionOptions.Default, 5,
            [.. Enumerable.Range(0, Texts.Length).Select(r => -r)]);
        Assert.Equal(reference.Select(h => h.Index), fused.Select(h => h.Row));
    }

    [Fact]
    public void AnIndexOfTheOtherKindIsRefusedNamingTheFingerprintMismatch()
    {
        string dir = TestPaths.NewTempDir();
        string late = Path.Combine(dir, "late"), dense = Path.Combine(dir, "dense");
        using var colbert = MultiVectorEmbeddingModel.Load(Model);
        using var encoder = EncoderEmbeddingModel.Load(TestPaths.FixtureModel("bert-cased-mean"));
        TextIndex.Build(late, colbert, [Row(0), Row(1)]);
        TextIndex.Build(dense, encoder, [Row(0), Row(1)]);
        var e = Assert.Throws<ArgumentException>(() => TextIndex.Open(late, encoder));
        Assert.Contains("fingerprints differ", e.Message);
        Assert.Contains(Model, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        e = Assert.Throws<ArgumentException>(() => TextIndex.Open(dense, colbert));
        Assert.Contains("fingerprints differ", e.Message);
        // Opened as plain indexes, each refuses the other kind's search.
        using (var index = SearchIndex.Open(late))
            Assert.Contains("token vectors", Assert.Throws<ArgumentException>(() => index.Search("q", new float[16], SearchMode.Dense, 1)).Message);
        using (var index = SearchIndex.Open(dense))
            Assert.Throws<InvalidOperationException>(() => index.SearchTokens("q", colbert.Encode(["q"], TextRole.Query)[0], SearchMode.Dense, 1));
        var add = Assert.Throws<EvaluationException>(() => IndexBuilder.Add(dense, colbert, [Row(2)]));
        Assert.Contains("single vectors", add.Message);
    }

    [Fact]
    public void DamagedTokenFilesAreNamed()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = MultiVectorEmbeddingModel.Load(Model);
        TextIndex.Build(folder, model, [Row(0), Row(1), Row(2)]);
        string tokens = Path.Combine(folder, "tokens.f32"), offsets = Path.Combine(folder, "tokens.offsets");
        var bytes = File.ReadAllBytes(tokens);
        File.WriteAllBytes(tokens, bytes[..^4]);
        Assert.StartsWith(tokens + ":", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
        File.WriteAllBytes(tokens, bytes);
        var o = File.ReadAllBytes(offsets);
        (o[8], o[16]) = (o[16], o[8]); // offsets out of order
        File.WriteAllBytes(offsets, o);
        Assert.StartsWith(offsets + ":", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
        File.Delete(offsets);
        Assert.Contains("tokens.offsets: missing", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
    }

    [Fact]
    public void ALateInteractionIndexHasAVersionOfItsOwnSoOlderReadersRefuseIt()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        using var model = MultiVectorEmbeddingModel.Load(Model);
        TextIndex.Build(folder, model, [Row(0), Row(1)]);
        string path = Path.Combine(folder, "index.json");
        string json = File.ReadAllText(path);
        // written as version 2: a reader of version 1 only (before token vectors) refuses it instead of taking the
        // mean vectors for a dense index
        Assert.Equal(2, JsonDocument.Parse(json).RootElement.GetProperty("version").GetInt32());
        using (SearchIndex.Open(folder)) { }

        // a version-1 manifest naming token vectors, and a version-2 one without them, are each one line
        File.WriteAllText(path, json.Replace("\"version\": 2", "\"version\": 1", StringComparison.Ordinal));
        var old = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message;
        Assert.StartsWith(path + ": multi_vector \"colbert\" needs version 2, not 1", old);
        File.WriteAllText(path, json.Replace("\"multi_vector\": \"colbert\",", "", StringComparison.Ordinal));
        Assert.StartsWith(path + ": version 2 is a late-interaction index's but multi_vector is missing",
            Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
    }
}
