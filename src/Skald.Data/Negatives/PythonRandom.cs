namespace Skald.Data.Negatives;

/// <summary>
/// Python's <c>random</c> module as far as <c>mine_hard_negatives</c>' random sampling uses it: <c>random.seed(n)</c>
/// for a whole number, then <c>random.sample(range(n), k)</c>, draw for draw. Python's generator is the Mersenne
/// Twister MT19937 (Matsumoto and Nishimura's reference <c>init_by_array</c> and <c>genrand_int32</c>), seeded with the
/// 32-bit words of |seed|, least significant first (one word 0 for seed 0); <c>_randbelow(n)</c> takes the top
/// bit_length(n) bits of one 32-bit output until they fall below n; <c>sample</c> picks from a shrinking pool while n is
/// at most 21 (plus 4^⌈log₄ 3k⌉ when k &gt; 5), else draws indices until they are new.
/// </summary>
/// <remarks>
/// Restated from CPython's Lib/random.py (<c>Random.sample</c>, <c>_randbelow_with_getrandbits</c>) and
/// Modules/_randommodule.c (<c>init_by_array</c>, <c>genrand_uint32</c>, <c>random_seed</c>) at
/// https://github.com/python/cpython/blob/49b5fcaf948df1340bf456dce529895cf95785c5, checked against Python 3.11 by
/// fixtures/mining/make_hard_negative_reference.py's random cases (<c>PythonRandomTests</c>, <c>MiningParityTests</c>).
/// </remarks>
public sealed class PythonRandom
{
    private const int N = 624, M = 397;
    private readonly uint[] state = new uint[N];
    private readonly List<int> pool = [];
    private readonly HashSet<int> selected = [];
    private int next;

    /// <summary>The generator after Python's <c>random.seed(<paramref name="seed"/>)</c>.</summary>
    public PythonRandom(long seed)
    {
        ulong magnitude = seed < 0 ? (ulong)-(seed + 1) + 1 : (ulong)seed;
        uint[] key = magnitude >> 32 == 0 ? [(uint)magnitude] : [(uint)magnitude, (uint)(magnitude >> 32)];
        Initialise(19650218u);
        int i = 1, j = 0;
        for (int k = Math.Max(N, key.Length); k > 0; k--)
        {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) * 1664525u)) + key[j] + (uint)j;
            i++;
            j++;
            if (i >= N) { state[0] = state[N - 1]; i = 1; }
            if (j >= key.Length) j = 0;
        }
        for (int k = N - 1; k > 0; k--)
        {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) * 1566083941u)) - (uint)i;
            i++;
            if (i >= N) { state[0] = state[N - 1]; i = 1; }
        }
        state[0] = 0x80000000u;
        next = N;
    }

    private void Initialise(uint s)
    {
        state[0] = s;
        for (int i = 1; i < N; i++) state[i] = 1812433253u * (state[i - 1] ^ (state[i - 1] >> 30)) + (uint)i;
    }

    /// <summary>The next 32-bit output (<c>genrand_uint32</c>).</summary>
    public uint NextUInt32()
    {
        if (next >= N)
        {
            for (int k = 0; k < N; k++)
            {
                uint y = (state[k] & 0x80000000u) | (state[(k + 1) % N] & 0x7fffffffu);
                state[k] = state[(k + M) % N] ^ (y >> 1) ^ ((y & 1) == 0 ? 0u : 0x9908b0dfu);
            }
            next = 0;
        }
        uint x = state[next++];
        x ^= x >> 11;
        x ^= (x << 7) & 0x9d2c5680u;
        x ^= (x << 15) & 0xefc60000u;
        return x ^ (x >> 18);
    }

    /// <summary>Python's <c>_randbelow(n)</c>: a whole number in [0, <paramref name="n"/>), n positive.</summary>
    public int Below(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        int bits = 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)n);
        uint r;
        do r = NextUInt32() >> (32 - bits); while (r >= (uint)n);
        return (int)r;
    }

    /// <summary>
    /// Python's <c>random.sample(range(<paramref name="n"/>), k)</c> into <paramref name="result"/> (its length is k,
    /// at most n), in the order drawn.
    /// </summary>
    public void Sample(int n, Span<int> result)
    {
        int k = result.Length;
        if (k > n) throw new ArgumentOutOfRangeException(nameof(result), $"a sample of {k} from {n}");
        int setSize = 21;
        if (k > 5) setSize += 1 << (2 * (int)Math.Ceiling(Math.Log(k * 3) / Math.Log(4)));
        if (n <= setSize)
        {
            pool.Clear();
            for (int i = 0; i < n; i++) pool.Add(i);
            for (int i = 0; i < k; i++)
            {
                int j = Below(n - i);
                result[i] = pool[j];
                pool[j] = pool[n - i - 1];
            }
            return;
        }
        selected.Clear();
        for (int i = 0; i < k; i++)
        {
            int j = Below(n);
            while (!selected.Add(j)) j = Below(n);
            result[i] = j;
        }
    }
}
