using System.Text.Json;
using Skald.Models;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Tests;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>POST /v1/search</c> over an index built with <c>--language auto</c> (one BM25 field per stemmer): a Norwegian and
/// two Swedish queries are analysed by every field's stemmer, as the index was built, so the BM25 hits and scores are the
/// reference's of one field per language (<c>fixtures/bm25/make_mixed_bm25.py</c>), and a hybrid search fuses that
/// BM25 ranking (reciprocal-rank fusion of it and the served dense ranking).
/// </summary>
public sealed class MixedLanguageSearchEndpointTests
{
    [SnowballFact]
    public async Task NorwegianAndSwedishQueriesAreSearchedInEveryLanguagesField()
    {
        var reference = MixedBm25Reference.Load();
        var (texts, expected) = (reference.Documents, reference.Scores);
        string dir = TestPaths.NewTempDir(), rows = Path.Combine(dir, "rows.jsonl"), folder = Path.Combine(dir, "idx");
        // each row's language given ("und": no stemmer, the unstemmed field), not guessed from these short texts
        File.WriteAllLines(rows, texts.Select((t, i) => Json(new { text = t, language = reference.Languages[i] ?? "und" })));
        var built = SkaldProcess.Run("index", "build", "--model", ModelDir, "--documents", rows, "--output", folder, "--language", "auto", "-q");
        Assert.True(built.ExitCode == 0, built.Stderr);
        using var index = SearchIndex.Open(folder);
        Assert.Equal(texts.Order(StringComparer.Ordinal), index.Records.Select(r => r.FullText).Order(StringComparer.Ordinal));
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(ModelDir), index, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };

        async Task<int[]> Search(string query, string mode, Action<JsonElement, int>? check = null)
        {
            var (status, body) = await PostAsync(client, Json(new { query, mode, top_k = 10, fusion = mode == "hybrid" ? "rrf" : null }), path: "v1/search");
            Assert.Equal(200, status);
            var hits = body.GetProperty("data").EnumerateArray().ToArray();
            var docs = hits.Select(h => Array.IndexOf(texts, index.Records[h.GetProperty("row").GetInt32()].FullText)).ToArray();
            for (int i = 0; i < hits.Length; i++) check?.Invoke(hits[i], docs[i]);
            return docs;
        }
        foreach (int q in new[] { 0, 2, 3 }) // "bilen i morgen" (Norwegian); "fakturor betalas" and "bilarna" (Swedish)
        {
            string query = reference.Queries[q];
            var bm25 = await Search(query, "bm25", (h, d) => Assert.Equal(expected[q][d], h.GetProperty("score").GetDouble(), 4));
            Assert.Equal(Enumerable.Range(0, texts.Length).Where(d => expected[q][d] > 0), bm25.Order());
            var dense = await Search(query, "dense");
            Assert.Equal(texts.Length, dense.Length);
            // the reference's BM25 ranking (no ties among its scores) fused with the dense one, 1 / (60 + rank) each
            var ranked = Enumerable.Range(0, texts.Length).Where(d => expected[q][d] > 0).OrderByDescending(d => expected[q][d]).ToList();
            await Search(query, "hybrid", (h, d) => Assert.Equal(
                (ranked.Contains(d) ? 1.0 / (61 + ranked.IndexOf(d)) : 0) + 1.0 / (61 + Array.IndexOf(dense, d)), h.GetProperty("score").GetDouble(), 6));
        }
    }
}
