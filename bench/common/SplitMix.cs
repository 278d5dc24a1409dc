namespace Skald.Bench.Common;

/// <summary>
/// The benchmarks' token ids: splitmix64 from a seed, each output mod the vocabulary (<c>common/splitmix.py</c> draws
/// the same), so Skald and each peer (PyTorch, ONNX Runtime, TorchSharp) see the same ids. No Skald dependency.
/// </summary>
internal static class SplitMix
{
    /// <summary><paramref name="count"/> ids from <paramref name="seed"/>, each mod <paramref name="vocab"/>, and their sum.</summary>
    public static long[] Ids(int count, int vocab, out long checksum, ulong seed = 1)
    {
        var ids = new long[count];
        ulong state = seed;
        checksum = 0;
        for (int i = 0; i < count; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            ids[i] = (long)((z ^ (z >> 31)) % (ulong)vocab);
            checksum += ids[i];
        }
        return ids;
    }
}
