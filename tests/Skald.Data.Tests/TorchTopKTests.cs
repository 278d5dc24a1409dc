using System.Text.Json;
using Skald.Data.Negatives;

namespace Skald.Data.Tests;

/// <summary>
/// <see cref="TorchTopK"/> against torch 1.13's CPU <c>torch.topk</c> on rows full of equal values
/// (<c>fixtures/mining/make_topk_ties.py</c>): the same positions in the same order, at the sizes mining ranks (k up to
/// 40 over 2 to 200,000 values, both of the kernel's algorithms), -inf entries among them.
/// </summary>
public sealed class TorchTopKTests
{
    internal static readonly JsonElement Fixture =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "mining", "topk_ties.json"))).RootElement;

    // The fixture's rule: value j = ((a·j + b) mod m) / 4, -inf where d > 0 and (c·j + e) mod d = 0.
    private static float[] Row(JsonElement r)
    {
        long n = r.GetProperty("n").GetInt64(), a = r.GetProperty("a").GetInt64(), b = r.GetProperty("b").GetInt64(), m = r.GetProperty("m").GetInt64();
        long c = r.GetProperty("c").GetInt64(), d = r.GetProperty("d").GetInt64(), e = r.GetProperty("e").GetInt64();
        var values = new float[n];
        for (long j = 0; j < n; j++) values[j] = d > 0 && (c * j + e) % d == 0 ? float.NegativeInfinity : (a * j + b) % m / 4f;
        return values;
    }

    [Fact]
    public void EqualValuesComeOutInTorchsOrder()
    {
        int differ = 0;
        foreach (var r in Fixture.GetProperty("rows").EnumerateArray())
        {
            var values = Row(r);
            int k = r.GetProperty("k").GetInt32();
            var expected = r.GetProperty("indices").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var order = new int[k];
            TorchTopK.Order(values, order, new (float, int)[values.Length]);
            Assert.True(expected.SequenceEqual(order), $"n {values.Length}, k {k}: torch [{string.Join(", ", expected.Take(12))}...], got [{string.Join(", ", order.Take(12))}...]");
            // a stable order (equal values by position) would not do: count the rows where torch's differs from it
            var stable = Enumerable.Range(0, values.Length).OrderByDescending(j => values[j]).Take(k);
            if (!stable.SequenceEqual(expected)) differ++;
        }
        Assert.True(differ > 10, $"only {differ} rows where torch's order of equal values is not by position");
    }

    [Fact]
    public void KOfZeroAndTooSmallBuffersAreHandled()
    {
        TorchTopK.Order([1f, 2f], [], new (float, int)[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchTopK.Order([1f, 2f], new int[3], new (float, int)[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchTopK.Order([1f, 2f], new int[1], new (float, int)[1]));
    }
}
