using System.Text.Json;
using Skald.Models.LateInteraction;

namespace Skald.Models.Tests.LateInteraction;

/// <summary>
/// PyLate's hierarchical token pooling against fixtures/colbert-pooling/make_pooling.py (a plain re-statement of PyLate's
/// pool_embeddings_hierarchical with scipy's Ward linkage and maxclust cut), on make_colbert.py's PyTorch document vectors
/// of colbert-bert-tiny: the same vectors in the same order within 1e-5, for pool factors 2, 3 and 4.
/// </summary>
public sealed class TokenPoolingTests
{
    private const int Dim = 16;

    private static TokenVectors[] Documents() =>
        [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel("colbert-bert-tiny"), "expected_documents.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return new TokenVectors([.. r.GetProperty("vectors").EnumerateArray().Select(x => x.GetSingle())],
                [.. r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())], Dim);
        })];

    [Fact]
    public void PooledVectorsMatchPyLatesWardPooling()
    {
        var documents = Documents();
        var pooling = new TokenPooling();
        int lines = 0;
        foreach (string line in File.ReadLines(Path.Combine(TestPaths.Fixtures, "colbert-pooling", "expected_pooled.jsonl")).Where(l => l.Length > 0))
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            int factor = r.GetProperty("pool_factor").GetInt32(), d = r.GetProperty("document").GetInt32();
            float[] expected = [.. r.GetProperty("vectors").EnumerateArray().Select(x => x.GetSingle())];
            var actual = pooling.Apply(documents[d], factor);
            Assert.True(expected.Length == actual.Values.Length, $"factor {factor}, document {d}: {actual.Count} vectors, expected {expected.Length / Dim}");
            for (int j = 0; j < expected.Length; j++)
                Assert.True(Math.Abs(actual.Values[j] - expected[j]) <= 1e-5f, $"factor {factor}, document {d}, value {j}: {actual.Values[j]} vs {expected[j]}");
            Assert.Equal(documents[d].TokenIds[0], actual.TokenIds[0]);
            Assert.All(actual.TokenIds.Skip(1), id => Assert.Equal(-1, id));
            Assert.Equal(actual.Values, TokenPooling.Pool(documents[d], factor).Values);
            lines++;
        }
        Assert.Equal(36, lines);
    }

    [Fact]
    public void AFactorOfOneOrTooFewVectorsLeaveTheDocumentAsItIs()
    {
        var document = Documents()[0];
        Assert.Same(document, TokenPooling.Pool(document, 1));
        var two = new TokenVectors(document.Values[..(2 * Dim)], document.TokenIds[..2], Dim);
        Assert.Same(two, TokenPooling.Pool(two, 2)); // one vector to pool into one group
        Assert.Equal("poolFactor", Assert.Throws<ArgumentOutOfRangeException>(() => TokenPooling.Pool(document, 0)).ParamName);
    }
}
