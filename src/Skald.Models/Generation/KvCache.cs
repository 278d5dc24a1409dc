using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Generation;

/// <summary>
/// The keys and values a decoder has computed so far for a batch of sequences (transformers' DynamicCache, but
/// preallocated): per layer a key and a value buffer [B, Hkv, Capacity, D] (after RoPE, as transformers caches them),
/// the additive key mask [B, Capacity] (0 real token, float.MinValue padding of a left-padded prompt) and each row's
/// count of real tokens, which is the position of its next token (transformers' generate:
/// position_ids = attention_mask.cumsum(−1) − 1). A decoder given a cache runs only the new tokens
/// (<see cref="IDecoder.Forward(Tape, TokenBatch, KvCache?)"/>): their keys and values are appended and their queries
/// attend to every cached key. Nothing is allocated per step once the cache exists. A cache may hold more rows than a
/// batch uses (<see cref="Rows"/> ≥ <see cref="Batch"/>): a request that joins a running batch takes a free row, or the
/// next unused one, with its prompt prefilled apart (<see cref="Adopt"/>); the prompts of several joining requests
/// run as one ragged step (<see cref="PlanRagged"/>) over a cache of their own, which may be laid out anew within its
/// buffers (<see cref="Reshape"/>).
/// </summary>
public sealed partial class KvCache
{
    private readonly float[][] keys, values;  // per layer [B, Hkv, Capacity, D] (in buffers of Positions positions)
    private readonly float[] keyBias;         // [B, Capacity]
    private int[] realTokens;                 // [B]
    private int[] positions = new int[64];    // [B·Tn] of the running step

    /// <summary>A cache for <paramref name="batch"/> sequences of up to <paramref name="capacity"/> tokens of <paramref name="config"/>'s decoder.</summary>
    public KvCache(TransformerConfig config, int batch, int capacity) : this(config, batch, capacity, (long)batch * capacity)
    {
    }

    /// <summary>
    /// A cache of <paramref name="batch"/> × <paramref name="capacity"/> in buffers of <paramref name="room"/> positions
    /// (at least that many), in which <see cref="Reshape"/> lays out other shapes without allocating.
    /// </summary>
    internal KvCache(TransformerConfig config, int batch, int capacity, long room)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(room, (long)batch * capacity);
        Rows = batch;
        Batch = batch;
        Capacity = capacity;
        Heads = config.NumHeads;
        KvHeads = config.KeyValueHeads;
        HeadDim = config.HeadSize;
        long size = room * KvHeads * HeadDim;
        if (size > Array.MaxLength) throw new ArgumentException($"a cache of {batch} × {capacity} tokens is too large");
        keys = new float[config.NumLayers][];
        values = new float[config.NumLayers][];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = new float[size];
            values[i] = new float[size];
        }
        keyBias = new float[room];
        realTokens = new int[batch];
    }

    /// <summary>B: the rows the running batch uses (at most <see cref="Rows"/>).</summary>
    public int Batch { get; private set; }

    /// <summary>Rows allocated.</summary>
    public int Rows { get; private set; }

    /// <summary>Token columns allocated per row.</summary>
    public int Capacity { get; private set; }

    /// <summary>Positions its buffers hold (at least <see cref="Rows"/> × <see cref="Capacity"/>).</summary>
    internal long Positions => keyBias.Length;

    /// <summary>Columns filled by completed forward passes (a left-padded row counts its padding).</summary>
    public int Length { get; private set; }

    /// <summary>Query heads H.</summary>
    public int Heads { get; }

    /// <summary>Key/value heads Hkv.</summary>
    public int KvHeads { get; }

    /// <summary>Head size D.</summary>
    public int HeadDim { get; }

    /// <summary>Bytes of its key and value buffers.</summary>
    internal long Bytes => 2L * keys.Length * keys[0].Length * sizeof(float);

    /// <summary>Real tokens of row <paramref name="b"/> so far (the position its next token gets).</summary>
    public int RealTokens(int b) => realTokens[b];

    /// <summary>Empties the cache for a new batch (buffers are kept).</summary>
    public void Clear() => Clear(Batch);

    /// <summary>Empties the cache for a new batch of <paramref name="batch"/> rows (at most <see cref="Rows"/>; buffers are kept).</summary>
    public void Clear(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batch, Rows);
        Batch = batch;
        Length = 0;
        Array.Clear(realTokens);
        StepTokens = 0;
        ragged = false;
    }

    /// <summary>
    /// Takes row <paramref name="row"/> out of the batch between steps (its sequence is done): the batch's last row moves
    /// into its place — its filled columns of every layer's keys and values, its key mask and its real-token count, so it
    /// attends as before — and the batch has one row fewer (none once the last leaves; <see cref="Adopt"/> adds rows again).
    /// </summary>
    internal void Remove(int row)
    {
        if (StepTokens != 0 || ragged) throw new InvalidOperationException("a row leaves the batch between steps");
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Batch);
        int last = --Batch;
        if (row == last) return;
        CopyColumns(this, last, row, 0, Length);
        keyBias.AsSpan(last * Capacity, Length).CopyTo(keyBias.AsSpan(row * Capacity, Length));
        realTokens[row] = realTokens[last];
    }

    /// <summary>
    /// Puts sequence <paramref name="from"/> of <paramref name="prefill"/> (a cache its prompt's forward pass filled,
    /// unpadded: its <see cref="RealTokens"/> columns from 0, as a ragged step leaves them) into row <paramref name="row"/>
    /// of this cache between two steps, right-aligned as a left-padded row: its L columns go to Length − L..Length − 1,
    /// the columns before them are masked, and its next token gets position L (the keys keep the rotary positions
    /// 0..L−1 they were computed at, so the row attends as it would alone). Row <see cref="Batch"/> (while
    /// <see cref="Batch"/> &lt; <see cref="Rows"/>) adds a row to the batch.
    /// </summary>
    internal void Adopt(int row, KvCache prefill, int from)
    {
        if (from < 0 || from >= prefill.Rows || prefill.StepTokens != 0 || prefill.KvHeads != KvHeads || prefill.HeadDim != HeadDim || prefill.keys.Length != keys.Length)
            throw new ArgumentException("a prefill cache holds finished rows of the same model");
        int l = prefill.realTokens[from];
        if (StepTokens != 0) throw new InvalidOperationException("a row joins between steps");
        if (l < 1 || l > Length) throw new ArgumentException($"a prompt of {l} tokens does not fit the {Length} filled columns");
        if (row < 0 || row > Batch || row == Rows) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} of a batch of {Batch} (room for {Rows})");
        if (row == Batch) Batch++;
        int at = Length - l;
        CopyColumns(prefill, from, row, at, l);
        keyBias.AsSpan(row * Capacity, at).Fill(float.MinValue);
        keyBias.AsSpan(row * Capacity + at, l).Clear();
        realTokens[row] = l;
    }

    // Columns 0..l−1 of row `from` of `source` into columns at..at+l−1 of row `row`, keys and values of every layer.
    private void CopyColumns(KvCache source, int from, int row, int at, int l)
    {
        int d = HeadDim;
        var into = new KvCacheLayout(Rows, 0, Capacity, Capacity, Heads, KvHeads, d);
        var src = new KvCacheLayout(source.Rows, 0, source.Capacity, source.Capacity, Heads, KvHeads, d);
        for (int layer = 0; layer < keys.Length; layer++)
        for (int h = 0; h < KvHeads; h++)
        {
            source.keys[layer].AsSpan((int)src.Offset(from, h, 0), l * d).CopyTo(keys[layer].AsSpan((int)into.Offset(row, h, at), l * d));
            source.values[layer].AsSpan((int)src.Offset(from, h, 0), l * d).CopyTo(values[layer].AsSpan((int)into.Offset(row, h, at), l * d));
        }
    }

    /// <summary>Tokens per row of the step in progress (between <see cref="Begin"/> and <see cref="Commit"/>).</summary>
    internal int StepTokens { get; private set; }

    /// <summary>Positions [B·Tn] of the step's tokens (real tokens before each, 0 on padding).</summary>
    internal ReadOnlyMemory<int> StepPositions => positions.AsMemory(0, ragged ? StepTokens : Batch * StepTokens);

    /// <summary>The key mask [B, Capacity] (columns up to Length + Tn are meaningful).</summary>
    internal ReadOnlyMemory<float> KeyBias => keyBias;

    /// <summary>
    /// Starts a step over <paramref name="tokens"/> [B, Tn] (its Mask marks padding): checks room, writes the new
    /// columns of the key mask and computes the new tokens' positions.
    /// </summary>
    internal void Begin(TokenBatch tokens)
    {
        if (ragged)
        {
            BeginRagged(tokens);
            return;
        }
        if (tokens.Batch != Batch) throw new ArgumentException($"the cache holds {Batch} rows, the batch has {tokens.Batch}");
        if (Length + tokens.Seq > Capacity)
            throw new InvalidOperationException($"the cache holds {Capacity} tokens per row; {Length} + {tokens.Seq} do not fit");
        int n = tokens.Batch * tokens.Seq;
        if (positions.Length < n) positions = new int[Math.Max(n, 2 * positions.Length)];
        for (int b = 0; b < Batch; b++)
        {
            int real = realTokens[b];
            for (int j = 0; j < tokens.Seq; j++)
            {
                bool on = tokens.Mask[b * tokens.Seq + j] != 0;
                positions[b * tokens.Seq + j] = on ? real : 0;
                keyBias[b * Capacity + Length + j] = on ? 0f : float.MinValue;
                if (on) real++;
            }
        }
        StepTokens = tokens.Seq;
    }

    /// <summary>Ends the step: the new columns become part of the cache.</summary>
    internal void Commit(TokenBatch tokens)
    {
        if (ragged)
        {
            CommitRagged();
            return;
        }
        for (int b = 0; b < Batch; b++)
        for (int j = 0; j < tokens.Seq; j++)
            if (tokens.Mask[b * tokens.Seq + j] != 0) realTokens[b]++;
        Length += tokens.Seq;
        StepTokens = 0;
    }

    /// <summary>
    /// Appends layer <paramref name="layer"/>'s new keys and values ([B·Tn, Hkv·D] each) at columns Length..Length+Tn−1 and
    /// returns the layout of the filled cache.
    /// </summary>
    internal KvCacheLayout Append(int layer, Variable k, Variable v)
    {
        if (ragged) return AppendRagged(layer, k, v);
        int tn = StepTokens, d = HeadDim;
        var layout = new KvCacheLayout(Batch, tn, Length + tn, Capacity, Heads, KvHeads, d);
        var ks = k.Span;
        var vs = v.Span;
        var kc = keys[layer].AsSpan();
        var vc = values[layer].AsSpan();
        for (int b = 0; b < Batch; b++)
        for (int j = 0; j < tn; j++)
        {
            int row = (b * tn + j) * KvHeads * d;
            for (int h = 0; h < KvHeads; h++)
            {
                int at = (int)layout.Offset(b, h, Length + j);
                ks.Slice(row + h * d, d).CopyTo(kc.Slice(at, d));
                vs.Slice(row + h * d, d).CopyTo(vc.Slice(at, d));
            }
        }
        return layout;
    }

    /// <summary>Layer <paramref name="layer"/>'s key buffer [B, Hkv, Capacity, D].</summary>
    internal ReadOnlyMemory<float> Keys(int layer) => keys[layer];

    /// <summary>Layer <paramref name="layer"/>'s value buffer [B, Hkv, Capacity, D].</summary>
    internal ReadOnlyMemory<float> Values(int layer) => values[layer];
}
