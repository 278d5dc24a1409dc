using System.Text.Json;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;
using Skald.Retrieval.Plaid;

namespace Skald.Retrieval.Tests;

/// <summary>
/// PLAID's search stages against fixtures/plaid/make_plaid_search.py (PyTorch, re-stating ColBERTv2's candidate
/// generation, filter_pids.cpp's two centroid-interaction stages and the final MaxSim over decompressed vectors): for
/// four settings of ncells, threshold and ndocs, with k = ndocs / 4 so that every survivor of the stages is returned,
/// the rows equal the reference's in order and their scores within 1e-5 (in the fourth the first stage's threshold
/// changes the result, the script checks).
/// </summary>
public sealed class PlaidSearchTests
{
    private static readonly ReferenceJson Data = new("plaid", "plaid_search.json");

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void StagesEqualTorch(int which)
    {
        int dim = Data.Int("dim");
        var codec = new ResidualCodec(Data.Floats("centroids"), dim, Data.Int("nbits"), Data.Floats("cutoffs"), Data.Floats("weights"));
        var rows = Data["rows"].EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        using var index = PlaidRankingTests.Write(Path.Combine(TestPaths.NewTempDir(), "plaid"), rows, codec, dim);
        var c = Data["cases"][which];
        var options = new PlaidSearchOptions
        {
            Cells = c.GetProperty("ncells").GetInt32(), Documents = c.GetProperty("ndocs").GetInt32(),
            CentroidScoreThreshold = c.GetProperty("threshold").GetSingle(),
        };
        var query = Data.Floats("query");
        var hits = index.SearchTokens("", new TokenVectors(query, new int[query.Length / dim], dim), SearchMode.Dense, options.Documents / 4, plaid: options);
        Assert.Equal(c.GetProperty("rows").EnumerateArray().Select(v => v.GetInt32()), hits.Select(h => h.Row));
        var scores = c.GetProperty("scores").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        for (int i = 0; i < scores.Length; i++) Assert.Equal(scores[i], hits[i].Score, 1e-5f);
    }
}
