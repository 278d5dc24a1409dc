using System.Text.Json;
using Skald.Training.CrossEncoders;
using Xunit.Abstractions;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// The learning-to-rank losses as pure functions of a batch's scores: against torch's autograd of upstream's formulas
/// on fixed logits (fixtures/training/ranking.json "cases": ragged lists, every LambdaLoss scheme, k, σ, natural
/// logarithm), and their gradients against central finite differences.
/// </summary>
public sealed class RankingLossTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Reference().GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossAndGradientMatchPyTorch(string name)
    {
        var c = Reference().GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var (x, y, rows, width, slots) = Matrix(c);
        var g = new double[x.Length];
        double sum = Sum(c, x, y, rows, width, g, out int count);
        double expected = c.GetProperty("value").GetDouble();
        output.WriteLine($"{name}: {sum / count:F7} (torch {expected:F7}) over {count} terms");
        Assert.Equal(expected, sum / count, 5);
        var grad = c.GetProperty("grad").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int p = 0; p < slots.Length; p++) Assert.Equal(grad[p], g[slots[p]] / count, 5);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsAreFiniteDifferences(string name)
    {
        var c = Reference().GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var (x, y, rows, width, slots) = Matrix(c);
        if (c.TryGetProperty("even", out _)) // (P)ListMLE on ragged lists too: Skald leaves padded slots out
            foreach (int drop in new[] { 3, 6, 7 }) (x[drop], y[drop]) = (double.NaN, float.NaN);
        var g = new double[x.Length];
        Sum(c, x, y, rows, width, g, out _);
        const double h = 1e-6;
        foreach (int s in slots)
        {
            if (double.IsNaN(x[s])) continue;
            double at = x[s];
            x[s] = at + h;
            double up = Sum(c, x, y, rows, width, new double[x.Length], out _);
            x[s] = at - h;
            double down = Sum(c, x, y, rows, width, new double[x.Length], out _);
            x[s] = at;
            Assert.Equal((up - down) / (2 * h), g[s], 5);
        }
    }

    [Fact]
    public void PaddedDocumentsAreLeftOut()
    {
        // One list of 2 alone equals the same list padded to 4 beside another list (each loss sums per list).
        double[] alone = [1.5, -0.3], padded = [1.5, -0.3, double.NaN, double.NaN, 0.2, 0.9, -1.1, 0.4];
        float[] yAlone = [1, 0], yPadded = [1, 0, float.NaN, float.NaN, 0, 2, 1, 0];
        double a = PListMleLoss.Lists(alone, yAlone, 1, 2, new double[2], out _, weighted: true, respectInputOrder: true);
        double both = PListMleLoss.Lists(padded, yPadded, 2, 4, new double[8], out int count, weighted: true, respectInputOrder: true);
        double second = PListMleLoss.Lists(padded.AsSpan(4).ToArray(), yPadded.AsSpan(4).ToArray(), 1, 4, new double[4], out _, weighted: true, respectInputOrder: true);
        Assert.Equal(2, count);
        Assert.Equal(a + second, both, 12);
    }

    [Fact]
    public void EqualLabelsGiveLambdaLossNoPairs()
    {
        var g = new double[3];
        double sum = LambdaLoss.Lists([0.5, 0.1, -0.2], [1f, 1f, 1f], 1, 3, g, out int count, LambdaWeighting.NdcgLoss2PP, null, 1, 10, false);
        Assert.Equal(0, count);
        Assert.Equal(0, sum);
        Assert.All(g, v => Assert.Equal(0, v));
    }

    internal static LambdaWeighting Scheme(JsonElement c) =>
        (c.TryGetProperty("weighting_scheme", out var w) ? w.GetString() : "ndcg_loss2pp") switch
        {
            "none" => LambdaWeighting.None,
            "ndcg_loss1" => LambdaWeighting.NdcgLoss1,
            "ndcg_loss2" => LambdaWeighting.NdcgLoss2,
            "lambda_rank" => LambdaWeighting.LambdaRank,
            _ => LambdaWeighting.NdcgLoss2PP,
        };

    private static double Sum(JsonElement c, double[] x, float[] y, int rows, int width, double[] g, out int count)
    {
        string loss = c.GetProperty("loss").GetString()!;
        bool inputOrder = !c.TryGetProperty("respect_input_order", out var o) || o.GetBoolean();
        int? k = c.TryGetProperty("k", out var kk) ? kk.GetInt32() : null;
        double sigma = c.TryGetProperty("sigma", out var s) ? s.GetDouble() : 1;
        double mu = c.TryGetProperty("mu", out var m) ? m.GetDouble() : 10;
        bool natural = c.TryGetProperty("reduction_log", out var r) && r.GetString() == "natural";
        return loss switch
        {
            "listnet" => ListNetLoss.Lists(x, y, rows, width, g, out count),
            "listmle" or "plistmle" => PListMleLoss.Lists(x, y, rows, width, g, out count, loss == "plistmle", inputOrder,
                c.TryGetProperty("position_weights", out var pw) ? [.. pw.EnumerateArray().Select(v => v.GetSingle())] : null),
            "ranknet" => LambdaLoss.Lists(x, y, rows, width, g, out count, LambdaWeighting.None, k, sigma, mu, natural),
            _ => LambdaLoss.Lists(x, y, rows, width, g, out count, Scheme(c), k, sigma, mu, natural),
        };
    }

    /// <summary>The case's flat logits as a [rows, width] matrix (NaN where a list is shorter) and where each logit went.</summary>
    private static (double[] X, float[] Y, int Rows, int Width, int[] Slots) Matrix(JsonElement c)
    {
        var lengths = c.GetProperty("lengths").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var labels = c.GetProperty("labels").EnumerateArray().Select(l => l.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var logits = c.GetProperty("logits").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        int rows = lengths.Length, width = lengths.Max();
        var x = Enumerable.Repeat(double.NaN, rows * width).ToArray();
        var y = Enumerable.Repeat(float.NaN, rows * width).ToArray();
        var slots = new List<int>();
        int p = 0;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < lengths[r]; j++)
            {
                x[r * width + j] = logits[p++];
                y[r * width + j] = labels[r][j];
                slots.Add(r * width + j);
            }
        return (x, y, rows, width, [.. slots]);
    }

    private static JsonElement Reference()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("ranking.json")));
        return doc.RootElement.Clone();
    }
}
