using Skald.Tokenizers.Serialization;

namespace Skald.Models.Generation;

/// <summary>One call's decoding: the batch checked, the KV cache made ready, the steps run by a <see cref="DecodingPass"/>.</summary>
public sealed partial class Generator
{
    private GenerationResult[] Decode(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<GenerationOptions> rowOptions,
        IReadOnlyList<int>? rowIndices, Action<int, int>? onToken, Func<int, bool>? abandoned,
        Action<int, GenerationResult>? finished, ContinuousBatching? joining, Action<int, TokenLogProbs>? onLogProbs)
    {
        int batch = prompts.Count;
        if (rowOptions.Count != batch) throw new ArgumentException("one options per prompt", nameof(rowOptions));
        if (batch == 0) return [];
        var index = CheckBatch(prompts, rowOptions, rowIndices);
        bool useCache = rowOptions[0].UseCache;
        if (!useCache) joining = null; // a step that recomputes every sequence has no cache to join
        if (joining is not null && (joining.Rows < 1 || joining.Capacity < 1 || joining.PrefillChunk < 0 || joining.CachePositions < 0))
            throw new ArgumentException($"continuous batching needs rows and capacity ≥ 1 and a prefill chunk and cache positions ≥ 0, got {joining.Rows}, {joining.Capacity}, {joining.PrefillChunk} and {joining.CachePositions}");
        prefill.End(); // none from an earlier call that failed
        var pass = new DecodingPass(this, prompts, rowOptions, index, joining, onToken, abandoned, finished, onLogProbs);
        long cachePositions = joining?.CachePositions ?? 0; // the caches' budget (0: no bound)
        if (useCache) ReserveCache(pass.Slots, pass.Capacity, pass.Live, cachePositions);
        // a row's products take the same path whatever number of rows a step has, up to the batch's slots (the few-row
        // GEMM sums a row in the same order alone and in any batch, where the packed one, above 16 rows, would round a
        // long row's sums differently once the rest have left); up to 32 rows only, where the few-row GEMM is still as
        // fast as the packed one (bench/kernel dot: a wash at 32, slower at 64), so larger batches switch at 32
        tape.FewRowLinear = Math.Min(pass.Slots, 32);
        var results = pass.Run();
        Release(cachePositions); // a single request beyond the budget, which ran alone, leaves room for later batches to join
        return results;
    }

    // Every row's options valid and agreeing with the first row's where a batch must, one index per row, every prompt
    // non-empty and shorter than the context; returns the rows' indices (0, 1, ... unless the caller gave them).
    private IReadOnlyList<int> CheckBatch(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<GenerationOptions> rowOptions,
        IReadOnlyList<int>? rowIndices)
    {
        int batch = prompts.Count;
        foreach (var o in rowOptions) o.Validate(nameof(rowOptions));
        var options = rowOptions[0];
        if (rowOptions.Any(o => !Compatible(o, options)))
            throw new ArgumentException("the rows of one batch need the same UseCache and EosTokenIds");
        var index = rowIndices ?? Enumerable.Range(0, batch).ToArray();
        if (index.Count != batch) throw new ArgumentException("one row index per prompt");
        for (int b = 0; b < batch; b++)
        {
            if (prompts[b] is null) throw new ArgumentException($"row {index[b] + 1}: the prompt is null", nameof(prompts));
            if (prompts[b].Count == 0) throw new ArgumentException($"row {index[b] + 1}: the prompt has no tokens", nameof(prompts));
            if (prompts[b].Count >= Context)
                throw new ArgumentException($"row {index[b] + 1}: the prompt has {Counted.Of(prompts[b].Count, "token")}, the model's context is {Context}", nameof(prompts));
        }
        return index;
    }

    // The batch's KV cache of `slots` rows × `capacity` columns (one kept from an earlier call when large enough),
    // emptied for `live` rows, and the joining prompts' prefill cache bounded by what the budget leaves.
    private void ReserveCache(int slots, int capacity, int live, long cachePositions)
    {
        if (cachePositions > 0) Release(Math.Max(cachePositions, (long)slots * capacity)); // none kept past it from before
        bool kept = cache is not null && cache.Rows >= slots && cache.Capacity >= capacity;
        long own = kept ? (long)cache!.Rows * cache.Capacity : (long)slots * capacity;
        // the joining prompts' prefill cache: what the batch's leaves of the budget, and no more than the batch's
        // rows × columns (no pass needs more); one kept from an earlier batch goes before this one's cache comes
        prefill.Bound(cachePositions > 0 ? Math.Min(Math.Max(0, cachePositions - own), (long)slots * capacity) : long.MaxValue);
        if (!kept)
        {
            cache = null; // collectable while its successor is allocated: a server's is as large as its budget
            cache = new KvCache(decoder.Config, slots, capacity);
        }
        cache!.Clear(Math.Max(1, live));
    }

    // Lets the batch's cache go when it holds more than `most` positions (0: no bound).
    private void Release(long most)
    {
        if (most > 0 && cache is not null && (long)cache.Rows * cache.Capacity > most) cache = null;
    }
}
