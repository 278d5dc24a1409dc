using System.Text.Json;
using Skald.Evaluation.Models;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Tensors;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>--float32-matmul high</c> reaches <c>skald index build</c> of a ColBERT model (its stored token vectors) and
/// <c>skald search</c> of a dense index (its query vector): each at high gives other numbers than at highest (the
/// products changed) and the library's at high, bit for bit.
/// </summary>
public sealed class Float32MatmulIndexReachTests
{
    private const string Query = "Hvor kan jeg parkere sykkelen?";

    [AmxHighFact]
    public void IndexBuildOfAColbertModelRunsAtHigh()
    {
        string model = TestPaths.FixtureModel("colbert-bert-tiny"), dir = TestPaths.NewTempDir();
        float[][] Build(string precision)
        {
            string folder = Path.Combine(dir, precision);
            var r = InProcessSkald.Capture("index", "build", "--model", model, "--documents", SampleDocuments.Folder, "--output", folder,
                "--language", "nb", "--float32-matmul", precision, "-q");
            Assert.True(r.ExitCode == 0, r.Stderr);
            using var index = SearchIndex.Open(folder);
            return [.. Enumerable.Range(0, index.Records.Count).Select(i => index.Tokens(i).ToArray())];
        }
        float[][] highest = Build("highest"), high = Build("high");

        IReadOnlyList<string> texts;
        using (var index = SearchIndex.Open(Path.Combine(dir, "high"))) texts = [.. index.Records.Select(x => x.FullText)];
        using var library = MultiVectorEmbeddingModel.Load(model);
        ((ColbertEncoder)library.Encoder).Float32MatmulPrecision = Float32MatmulPrecision.High;
        var expected = library.Encode(texts, TextRole.Document);
        Assert.Equal(expected.Length, high.Length);
        for (int row = 0; row < high.Length; row++)
            Assert.True(expected[row].Values.AsSpan().SequenceEqual(high[row]), $"row {row}: the index's token vectors at high are not the library's");
        Assert.True(highest.Zip(high).Any(p => !p.First.AsSpan().SequenceEqual(p.Second)), "high gave highest's token vectors");
    }

    [AmxHighFact]
    public void SearchOfADenseIndexRunsAtHigh()
    {
        string model = TestPaths.FixtureModel("bert-cased-mean");
        string folder = SampleDocuments.Index(InProcessSkald.Capture, model, "--language", "nb"); // shared, read only
        (string Id, float Score)[] Search(string precision)
        {
            var r = InProcessSkald.Capture("search", "--index", folder, "--query", Query, "--mode", "dense", "--top-k", "8", "--format", "json", "--float32-matmul", precision);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return [.. JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray()
                .Select(h => (h.GetProperty("id").GetString()!, h.GetProperty("score").GetSingle()))];
        }
        var highest = Search("highest");
        var high = Search("high");

        using var embedder = EvaluationEmbeddingModel.Load(model, new EvaluationEmbeddingOptions { HubCacheOnly = true });
        embedder.Encoder.Float32MatmulPrecision = Float32MatmulPrecision.High;
        float[] vector = embedder.Embed([Query], TextRole.Query)[0];
        using var index = SearchIndex.Open(folder);
        var expected = index.Search(Query, vector, SearchMode.Dense, 8);
        Assert.Equal(expected.Count, high.Length);
        for (int i = 0; i < high.Length; i++)
        {
            Assert.Equal(index.Records[expected[i].Row].Id, high[i].Id);
            Assert.True(BitConverter.SingleToInt32Bits(expected[i].Score) == BitConverter.SingleToInt32Bits(high[i].Score), $"result {i}: {high[i].Score:R} against the library's {expected[i].Score:R}");
        }
        Assert.True(highest.Zip(high).Any(p => p.First.Score != p.Second.Score), "high gave highest's scores");
    }
}
