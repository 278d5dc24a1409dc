using System.Text.Json;
using Skald.Models.BgeM3;
using Skald.Models.CrossEncoders;
using Skald.Models.LateInteraction;
using Skald.Tensors;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>--float32-matmul high</c> reaches the commands beyond <c>skald encode</c> that run a local model's float32
/// products: <c>skald classify</c> and <c>skald rerank</c> with a cross-encoder, a ColBERT model and BGE-M3, and
/// <c>skald index build</c> of a late-interaction index. Each run at high gives other scores than at highest (the
/// products changed) and the library's scores at high, bit for bit.
/// </summary>
public sealed class Float32MatmulReachTests
{
    private static readonly string[] Docs =
    [
        "Fjorden ligg stille i morgonsola, og ferja går over til Vangsnes.",
        "Bussen går 07:45 fra Jernbanetorget, spor 3, og er framme før ni.",
        "Blåbærsyltetøy på vaffel er best en søndag ettermiddag på hytta.",
        "Räksmörgås med ägg och majonnäs serveras på tåget till Göteborg.",
    ];

    private const string Query = "Kva tid går neste ferje over fjorden i morgon tidleg?";

    private static float[] Rerank(string model, string precision)
    {
        string file = Path.Combine(TestPaths.NewTempDir(), "docs.txt");
        File.WriteAllLines(file, Docs);
        var r = SkaldProcess.Run("rerank", "--model", model, "--query", Query, "--documents", file, "--format", "json", "--float32-matmul", precision); // its JSON goes to the raw stdout
        Assert.True(r.ExitCode == 0, r.Stderr);
        var scores = new float[Docs.Length];
        foreach (var h in JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results").EnumerateArray())
            scores[h.GetProperty("index").GetInt32()] = h.GetProperty("score").GetSingle();
        return scores;
    }

    private static float[] ByIndex(IReadOnlyList<RankedDocument> ranked)
    {
        var scores = new float[Docs.Length];
        foreach (var d in ranked) scores[d.Index] = d.Score;
        return scores;
    }

    // High's scores are the library's at high, bit for bit, and not highest's.
    private static void HighIsTheLibrarysHigh(float[] highest, float[] high, float[] library, string what)
    {
        for (int i = 0; i < high.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(library[i]) == BitConverter.SingleToInt32Bits(high[i]), $"{what}, document {i}: {high[i]:R} against the library's {library[i]:R}");
        Assert.True(highest.Zip(high).Any(p => p.First != p.Second), $"{what}: high gave highest's scores");
    }

    // skald rerank over the fixture at highest and at high against the library's model set to high, whose ranking
    // `rank` gives.
    private static void RerankRunsAtHigh(string fixture, Func<string, IReadOnlyList<RankedDocument>> rank)
    {
        string model = TestPaths.FixtureModel(fixture);
        HighIsTheLibrarysHigh(Rerank(model, "highest"), Rerank(model, "high"), ByIndex(rank(model)), fixture);
    }

    [AmxHighFact]
    public void RerankWithACrossEncoderRunsAtHigh() => RerankRunsAtHigh("ce-bert", model =>
    {
        using var library = CrossEncoder.Load(model);
        library.Float32MatmulPrecision = Float32MatmulPrecision.High;
        return library.Rank(Query, Docs);
    });

    [AmxHighFact]
    public void RerankWithAColbertModelRunsAtHigh() => RerankRunsAtHigh("colbert-bert-tiny", model =>
    {
        using var library = ColbertEncoder.Load(model);
        library.Float32MatmulPrecision = Float32MatmulPrecision.High;
        return library.Rank(Query, Docs);
    });

    [AmxHighFact]
    public void RerankWithBgeM3RunsAtHigh() => RerankRunsAtHigh("bge-m3-tiny", model =>
    {
        using var library = BgeM3Encoder.Load(model);
        library.DenseModel.Float32MatmulPrecision = Float32MatmulPrecision.High;
        return library.Rank(Query, Docs, BgeM3Weights.Equal, null, new Skald.Models.EncodeOptions { BatchSize = 32 });
    });

    [AmxHighFact]
    public void ClassifyRunsAtHigh()
    {
        string model = TestPaths.FixtureModel("ce-xlmr"), dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "pairs.jsonl");
        (string, string)[] pairs = [.. Docs.Select(d => (Query, d))];
        File.WriteAllLines(input, pairs.Select(p => JsonSerializer.Serialize(new { premise = p.Item1, hypothesis = p.Item2 })));
        float[] Classify(string precision)
        {
            string output = Path.Combine(dir, precision + ".jsonl");
            var r = InProcessSkald.Capture("classify", "--model", model, "--input", input, "--output", output, "--float32-matmul", precision, "-q");
            Assert.True(r.ExitCode == 0, r.Stderr);
            return [.. File.ReadLines(output).SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("scores").EnumerateArray().Select(s => s.GetSingle()))];
        }
        using var library = CrossEncoder.Load(model);
        library.Float32MatmulPrecision = Float32MatmulPrecision.High;
        HighIsTheLibrarysHigh(Classify("highest"), Classify("high"), [.. library.Predict(pairs).SelectMany(s => s)], "ce-xlmr");
    }
}
