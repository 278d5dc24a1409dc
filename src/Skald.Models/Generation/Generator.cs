using Skald.Models.Architectures;
using Skald.Tensors.Autograd;

namespace Skald.Models.Generation;

/// <summary>
/// Causal decoding of a batch of token-id prompts with a decoder and its LM head (transformers' generate, greedy or
/// sampling): the prompts are left-padded into one batch [B, T0]; the first step runs them whole and fills a
/// <see cref="KvCache"/> of T0 + max-new-tokens columns, every later step runs one token per row against it (no
/// recomputation of the prefix) on one reused non-recording tape. A row stops at an end-of-sequence id, at a stop
/// string of its decoded text, after max-new-tokens, or at the model's context; finished rows are fed padding until
/// the whole batch is done. Without a cache (<see cref="GenerationOptions.UseCache"/> false) every step recomputes the
/// whole left-padded sequence, the reference the cached path is tested against.
/// </summary>
public sealed class Generator
{
    private readonly IDecoder decoder;
    private readonly LmHead head;
    private readonly Func<IReadOnlyList<int>, string> decode;
    private readonly int padId;
    private readonly Tape tape = new(recording: false);
    private readonly Lock gate = new();
    private KvCache? cache;

    /// <summary>
    /// A generator over <paramref name="decoder"/> (which needs an LM head); <paramref name="decode"/> turns new ids into
    /// text (without special tokens); <paramref name="padId"/> fills left padding; <paramref name="eosIds"/> end a sequence.
    /// </summary>
    public Generator(IDecoder decoder, Func<IReadOnlyList<int>, string> decode, int padId, IReadOnlyList<int> eosIds)
    {
        this.decoder = decoder;
        head = decoder.LmHead ?? throw new ModelFormatException("the model has no LM head (lm_head.weight), so it cannot generate");
        this.decode = decode;
        this.padId = padId;
        EosIds = eosIds;
    }

    /// <summary>
    /// Makes this generator int8 for inference: every float32 Linear weight (the LM head's too) is quantised per output
    /// row and its float32 values dropped (a head tied to the embedding table keeps them: the lookup reads its rows),
    /// and each step's activations are quantised per token (<see cref="Skald.Tensors.Quantization.Int8Gemm"/>). A step
    /// then reads a quarter of the weight bytes, which bound decoding on a CPU; the logits move by the quantisation
    /// error, so greedy choices between near-equal tokens can differ from float32's. Returns the float32 bytes
    /// released: 0, and float32 kept, on a CPU without int8 kernels. Not undone (load the model again for float32).
    /// </summary>
    public long KeepInt8Only() => InferenceWeights.KeepInt8Only(tape, gate, decoder.Parameters,
        () => Generate([new[] { padId }], new GenerationOptions { MaxNewTokens = 1 })); // one step: every Linear multiplied once

    /// <summary>The model's end-of-sequence ids.</summary>
    public IReadOnlyList<int> EosIds { get; }

    /// <summary>Longest sequence (prompt + new tokens) the model takes: max_position_embeddings.</summary>
    public int Context => decoder.MaxSequenceLength;

    /// <summary>
    /// Continues every prompt. <paramref name="rowIndices"/>[b] is prompts[b]'s index in the caller's input (its sampling
    /// stream and its number in messages; default b); <paramref name="onToken"/> (b, id) is called for every new token as
    /// it is chosen.
    /// </summary>
    public GenerationResult[] Generate(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options,
        IReadOnlyList<int>? rowIndices = null, Action<int, int>? onToken = null) =>
        Generate(prompts, Enumerable.Repeat(options, prompts.Count).ToArray(), rowIndices, onToken);

    /// <summary>
    /// Continues every prompt with its own options (<paramref name="rowOptions"/>[b]: its own length, sampling, seed and
    /// stop strings; <see cref="GenerationOptions.EosTokenIds"/> and <see cref="GenerationOptions.UseCache"/> must agree),
    /// as one batch: requests of a server answered together. A row gets its max new tokens only while its batch's
    /// longest prompt leaves room in the context. <paramref name="finished"/> (b, result) hears of each row as soon as it
    /// is done (its result is also in the returned array); a row <paramref name="abandoned"/> says is gone (a client that
    /// left) stops at the next step, without a <paramref name="finished"/> call, and the batch ends when no row is left.
    /// </summary>
    public GenerationResult[] Generate(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<GenerationOptions> rowOptions,
        IReadOnlyList<int>? rowIndices = null, Action<int, int>? onToken = null, Func<int, bool>? abandoned = null,
        Action<int, GenerationResult>? finished = null)
    {
        int batch = prompts.Count;
        if (rowOptions.Count != batch) throw new ArgumentException("one options per prompt");
        if (batch == 0) return [];
        foreach (var o in rowOptions) o.Validate();
        var options = rowOptions[0];
        if (rowOptions.Any(o => o.UseCache != options.UseCache || !SameIds(o.EosTokenIds, options.EosTokenIds)))
            throw new ArgumentException("the rows of one batch need the same UseCache and EosTokenIds");
        var index = rowIndices ?? Enumerable.Range(0, batch).ToArray();
        if (index.Count != batch) throw new ArgumentException("one row index per prompt");
        for (int b = 0; b < batch; b++)
        {
            if (prompts[b].Count == 0) throw new ArgumentException($"row {index[b] + 1}: the prompt has no tokens");
            if (prompts[b].Count >= Context)
                throw new ArgumentException($"row {index[b] + 1}: the prompt has {prompts[b].Count} tokens, the model's context is {Context}");
        }
        int t0 = prompts.Max(p => p.Count);
        var rowMax = rowOptions.Select(o => Math.Min(o.MaxNewTokens, Context - t0)).ToArray();
        int maxNew = rowMax.Max();
        var eos = options.EosTokenIds ?? EosIds;
        var sampler = new TokenSampler(rowOptions, head.VocabSize);
        sampler.Begin(prompts, index);
        var generated = new List<int>[batch];
        var reasons = new FinishReason?[batch];
        var cut = new int[batch];
        for (int b = 0; b < batch; b++) generated[b] = new List<int>(rowMax[b]);
        var maxStop = rowOptions.Select(o => o.StopStrings.Count == 0 ? 0 : o.StopStrings.Max(s => s.Length)).ToArray();
        var texts = new string[batch];

        var prompt = LeftPad(prompts, t0);
        if (options.UseCache)
        {
            if (cache is null || cache.Batch != batch || cache.Capacity < t0 + maxNew)
                cache = new KvCache(decoder.Config, batch, Math.Max(t0 + maxNew, 1));
            cache.Clear();
        }
        var step = new TokenBatch(new int[batch], Enumerable.Repeat(1, batch).ToArray(), new int[batch], batch, 1);
        var rows = new int[batch];
        var logits = new float[head.VocabSize];
        var results = new GenerationResult[batch];
        void Finish(int b, bool tell = true)
        {
            var reason = reasons[b] ?? FinishReason.Length;
            string text = reason == FinishReason.Stop ? texts[b][..cut[b]] : decode(generated[b]);
            results[b] = new GenerationResult([.. generated[b]], text, reason, prompts[b].Count);
            if (tell) finished?.Invoke(b, results[b]);
        }
        int active = rowMax.Count(m => m > 0);
        for (int b = 0; b < batch; b++)
        {
            if (rowMax[b] > 0) continue;
            reasons[b] = FinishReason.Length;
            Finish(b);
        }
        for (int n = 0; n < maxNew && active > 0; n++)
        {
            if (abandoned is not null)
            {
                for (int b = 0; b < batch; b++)
                {
                    if (reasons[b] is not null || !abandoned(b)) continue;
                    reasons[b] = FinishReason.Length;
                    active--;
                }
                if (active == 0) break;
            }
            tape.Reset();
            var input = n == 0 ? prompt : options.UseCache ? step : Extend(prompt, generated, n);
            var hidden = decoder.Forward(tape, input, options.UseCache ? cache : null);
            for (int b = 0; b < batch; b++) rows[b] = b * input.Seq + input.Seq - 1;
            var all = head.Logits(tape, hidden, rows).Span; // [B, V]
            for (int b = 0; b < batch; b++)
            {
                int id = padId;
                if (reasons[b] is null)
                {
                    all.Slice(b * head.VocabSize, head.VocabSize).CopyTo(logits);
                    id = sampler.Next(b, logits);
                    sampler.Observe(b, id);
                    generated[b].Add(id);
                    onToken?.Invoke(b, id);
                    if (eos.Contains(id)) reasons[b] = FinishReason.Eos;
                    else if (maxStop[b] > 0 && StopsAt(generated[b], rowOptions[b].StopStrings, maxStop[b], ref texts[b]) is int at and >= 0)
                    {
                        reasons[b] = FinishReason.Stop;
                        cut[b] = at;
                    }
                    else if (generated[b].Count == rowMax[b]) reasons[b] = FinishReason.Length;
                    if (reasons[b] is not null)
                    {
                        active--;
                        Finish(b);
                    }
                }
                step.Ids[b] = id;
            }
        }
        for (int b = 0; b < batch; b++)
        {
            if (results[b] is null) Finish(b, tell: false); // abandoned rows: their tokens so far, for the caller alone
        }
        return results;
    }

    private static bool SameIds(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b));

    // The first stop string's index in the decoded text, or −1; only the tail a new token can complete is searched.
    private int StopsAt(List<int> ids, IReadOnlyList<string> stops, int maxStop, ref string text)
    {
        int before = text?.Length ?? 0;
        text = decode(ids);
        int from = Math.Max(0, Math.Min(before, text.Length) - maxStop);
        int best = -1;
        foreach (var s in stops)
        {
            int i = text.IndexOf(s, from, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    private TokenBatch LeftPad(IReadOnlyList<IReadOnlyList<int>> prompts, int t0)
    {
        int batch = prompts.Count;
        var ids = new int[batch * t0];
        var mask = new int[batch * t0];
        for (int b = 0; b < batch; b++)
        {
            int pad = t0 - prompts[b].Count;
            for (int t = 0; t < t0; t++)
            {
                ids[b * t0 + t] = t < pad ? padId : prompts[b][t - pad];
                mask[b * t0 + t] = t < pad ? 0 : 1;
            }
        }
        return new TokenBatch(ids, mask, new int[batch * t0], batch, t0);
    }

    // The no-cache reference: prompt (left-padded) + n tokens per row (finished rows continue with padding ids).
    private TokenBatch Extend(TokenBatch prompt, List<int>[] generated, int n)
    {
        int batch = prompt.Batch, t = prompt.Seq + n;
        var ids = new int[batch * t];
        var mask = new int[batch * t];
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < prompt.Seq; j++)
            {
                ids[b * t + j] = prompt.Ids[b * prompt.Seq + j];
                mask[b * t + j] = prompt.Mask[b * prompt.Seq + j];
            }
            for (int j = 0; j < n; j++)
            {
                ids[b * t + prompt.Seq + j] = j < generated[b].Count ? generated[b][j] : padId;
                mask[b * t + prompt.Seq + j] = 1;
            }
        }
        return new TokenBatch(ids, mask, new int[batch * t], batch, t);
    }
}
