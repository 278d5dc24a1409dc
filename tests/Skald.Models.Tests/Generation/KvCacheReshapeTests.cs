using System.Runtime.InteropServices;
using Skald.Models.Architectures;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="KvCache.Reshape"/> lays a cache out anew within its buffers: the kept row's columns of every layer's keys
/// and values (and its key mask) end in row 0 of the new layout and the other rows are empty.
/// Every shape of up to 3 × 6 into up to 4 × 8, every kept row, with 4 key/value heads, so that heads move up and down
/// over each other in one buffer; the expected places are computed from the [B, Hkv, Capacity, D] layout directly.
/// </summary>
public sealed class KvCacheReshapeTests
{
    private const int KvHeads = 4, HeadDim = 2, Layers = 2;

    private static readonly TransformerConfig Config = new()
    {
        ModelType = "llama", VocabSize = 8, HiddenSize = KvHeads * HeadDim, NumLayers = Layers, NumHeads = KvHeads,
        NumKeyValueHeads = KvHeads, IntermediateSize = 8, HeadDim = HeadDim,
    };

    private static float[] Buffer(ReadOnlyMemory<float> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) ? segment.Array! : throw new InvalidOperationException("not an array");

    // A cache of rows × capacity in buffers of `room` positions whose rows hold `lengths` tokens, every number in its
    // buffers distinct.
    private static KvCache Filled(int rows, int capacity, long room, int[] lengths)
    {
        var cache = new KvCache(Config, rows, capacity, room);
        int n = lengths.Sum();
        cache.PlanRagged(lengths);
        var step = new TokenBatch(new int[n], new int[n], new int[n], 1, n);
        cache.Begin(step);
        cache.Commit(step);
        float next = 1;
        for (int layer = 0; layer < Layers; layer++)
        {
            foreach (var buffer in new[] { Buffer(cache.Keys(layer)), Buffer(cache.Values(layer)) })
            {
                for (int i = 0; i < buffer.Length; i++) buffer[i] = next++;
            }
        }
        var bias = Buffer(cache.KeyBias);
        for (int i = 0; i < bias.Length; i++) bias[i] = -next++;
        return cache;
    }

    [Fact]
    public void TheKeptRowEndsInRowZeroOfTheNewLayoutInEveryShape()
    {
        int checkedShapes = 0;
        for (int rows = 1; rows <= 3; rows++)
        for (int capacity = 1; capacity <= 6; capacity++)
        for (int kept = -1; kept < rows; kept++)
        for (int newRows = 1; newRows <= 4; newRows++)
        for (int newCapacity = 1; newCapacity <= 8; newCapacity++)
        {
            var lengths = Enumerable.Range(0, rows).Select(r => (r * 5 + capacity + 1) % (capacity + 1)).ToArray();
            int l = kept >= 0 ? lengths[kept] : 0;
            if (l > newCapacity) continue;
            long room = Math.Max(rows * capacity, newRows * newCapacity);
            var cache = Filled(rows, capacity, room, lengths);
            var before = Enumerable.Range(0, Layers).Select(layer => (Keys: Buffer(cache.Keys(layer)).ToArray(), Values: Buffer(cache.Values(layer)).ToArray())).ToArray();
            var bias = Buffer(cache.KeyBias).ToArray();

            cache.Reshape(newRows, newCapacity, kept);

            Assert.Equal((newRows, newCapacity, l, newRows), (cache.Rows, cache.Capacity, cache.Length, cache.Batch));
            Assert.Equal(new[] { l }.Concat(new int[newRows - 1]), Enumerable.Range(0, newRows).Select(cache.RealTokens));
            for (int layer = 0; layer < Layers; layer++)
            {
                var (keys, values) = (Buffer(cache.Keys(layer)), Buffer(cache.Values(layer)));
                for (int h = 0; h < KvHeads; h++)
                for (int c = 0; c < l; c++)
                for (int i = 0; i < HeadDim; i++)
                {
                    int was = ((kept * KvHeads + h) * capacity + c) * HeadDim + i, now = (h * newCapacity + c) * HeadDim + i;
                    Assert.Equal(before[layer].Keys[was], keys[now]);
                    Assert.Equal(before[layer].Values[was], values[now]);
                }
            }
            for (int c = 0; c < l; c++) Assert.Equal(bias[kept * capacity + c], Buffer(cache.KeyBias)[c]);
            checkedShapes++;
        }
        Assert.True(checkedShapes > 1000, $"{checkedShapes} shapes");
    }

    [Fact]
    public void AShapeBeyondTheBuffersIsRefused()
    {
        var cache = Filled(2, 4, 8, [1, 2]);
        var e = Assert.Throws<ArgumentException>(() => cache.Reshape(3, 3, 1));
        Assert.Contains("3 × 3 positions do not fit a cache of 8", e.Message);
    }
}
