using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Tokenizers.Serialization;

namespace Skald.Models.Generation;

/// <summary>
/// Causal decoding of a batch of token-id prompts with a decoder and its LM head (transformers' generate, greedy or
/// sampling): the prompts are left-padded into one batch [B, T0]; the first step runs them whole and fills a
/// <see cref="KvCache"/> of T0 + max-new-tokens columns, every later step runs one token per row against it (no
/// recomputation of the prefix) on one reused non-recording tape. A row stops at an end-of-sequence id, at a stop
/// string of its decoded text, after max-new-tokens, or at the model's context; a row that is done leaves the steps
/// (as vLLM and TGI drop finished sequences; transformers' generate pads them to the end), its cache row taken by the
/// batch's last (<see cref="RunningRows"/>), so a step computes only the rows still decoding, and a request may join
/// in a free row (<see cref="ContinuousBatching"/>; the prompts joining
/// between two steps prefilled apart in one pass, in chunks between steps with <see cref="ContinuousBatching.PrefillChunk"/>). A row with
/// <see cref="OutputFormat.JsonObject"/> or <see cref="OutputFormat.JsonSchema"/> has its logits masked to the tokens
/// that keep its text a prefix of a JSON object (of one the schema takes: <see cref="JsonConstraint{TAutomaton}"/>) and
/// stops when the object closes. Without a cache
/// (<see cref="GenerationOptions.UseCache"/> false) every step recomputes the whole left-padded sequence of each row
/// still decoding, the reference the cached path is tested against.
/// </summary>
public sealed class Generator
{
    private readonly IDecoder decoder;
    private readonly LmHead head;
    private readonly Func<IReadOnlyList<int>, string> decode;
    private readonly int padId;
    private readonly Tape tape = new(recording: false);
    private readonly Lock gate = new();
    private readonly Lazy<IReadOnlyList<byte[]>>? tokenBytes;
    private readonly Lazy<JsonVocabulary>? vocabulary;
    private readonly JoinPrefill prefill;
    private KvCache? cache;

    /// <summary>
    /// A generator over <paramref name="decoder"/> (which needs an LM head); <paramref name="decode"/> turns new ids into
    /// text (without special tokens); <paramref name="padId"/> fills left padding; <paramref name="eosIds"/> end a sequence.
    /// <paramref name="tokenBytes"/> gives the bytes each id adds to the text (<c>Tokenizer.TokenBytes</c>; their
    /// concatenation is what <paramref name="decode"/> makes), read once when a row first asks for JSON output or has stop
    /// strings; without it JSON rows are refused and stop strings are looked for in the text decoded afresh every token.
    /// </summary>
    public Generator(IDecoder decoder, Func<IReadOnlyList<int>, string> decode, int padId, IReadOnlyList<int> eosIds,
        Func<IReadOnlyList<byte[]>>? tokenBytes = null)
    {
        this.decoder = decoder;
        head = decoder.LmHead ?? throw new ModelFormatException("the model has no LM head (lm_head.weight), so it cannot generate");
        this.decode = decode;
        this.padId = padId;
        EosIds = eosIds;
        prefill = new JoinPrefill(decoder, head, tape);
        if (tokenBytes is null) return;
        this.tokenBytes = new(tokenBytes);
        vocabulary = new(() => new JsonVocabulary(this.tokenBytes.Value, head.VocabSize));
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

    /// <summary>
    /// Makes this generator bfloat16 for inference: every Linear weight (the LM head's too) is rounded to bfloat16 GEMM
    /// panels and its own values dropped (float32, or the 16-bit ones of <c>--weights bf16|f16</c>; a head tied to a
    /// float32 embedding table keeps its values for the lookup, while a bfloat16 one is looked up in its panels), and each step rounds its activations to bfloat16 and sums
    /// in float32 with <c>vdpbf16ps</c> (<see cref="Skald.Tensors.Quantization.Bf16Gemm"/>, the prefill's rows and a
    /// decoding step's alike, so a row's logits do not depend on its batch mates). The logits move by the rounding, so
    /// greedy choices between near-equal tokens can differ from float32's. Returns the bytes released: 0, and float32
    /// kept, on a CPU without AVX512-BF16. Not undone (load the model again for float32).
    /// </summary>
    public long KeepBf16Only() => InferenceWeights.KeepBf16Only(tape, gate, decoder.Parameters,
        () => Generate([new[] { padId }], new GenerationOptions { MaxNewTokens = 1 })); // one step: every Linear multiplied once

    /// <summary>For tests: bytes of the key/value caches kept (the batches' and the joining prompts' prefill cache).</summary>
    internal long CacheBytes => (cache?.Bytes ?? 0) + prefill.Bytes;

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
    /// as one batch: requests of a server answered together. A row gets its max new tokens while its own prompt leaves
    /// room in the context, whatever its batch mates' prompts (left-padded to the longest, a short row's columns may
    /// run past the context while its positions do not). <paramref name="finished"/> (b, result) hears of each row as soon as it
    /// is done (its result is also in the returned array); a row <paramref name="abandoned"/> says is gone (a client that
    /// left) stops at the next step, without a <paramref name="finished"/> call, and the batch ends when no row is left.
    /// With <paramref name="joining"/> other requests take free rows between steps (continuous batching): from then on
    /// b in the callbacks is the row's new request, which is reported through <paramref name="finished"/> only (the
    /// returned array holds the results of <paramref name="prompts"/>). A row whose options ask for
    /// <see cref="GenerationOptions.LogProbs"/> has each token's <see cref="TokenLogProbs"/> in its result, and told to
    /// <paramref name="onLogProbs"/> (b, entry) just before <paramref name="onToken"/> hears of the token; the other
    /// rows' steps compute nothing for them. Calls from several threads take turns (the generator has one tape and one
    /// KV cache). Null <paramref name="prompts"/> or <paramref name="rowOptions"/> is an <see cref="ArgumentNullException"/>;
    /// a null, empty or too long prompt an <see cref="ArgumentException"/> naming <paramref name="prompts"/>, an invalid
    /// option one naming <paramref name="rowOptions"/>.
    /// </summary>
    public GenerationResult[] Generate(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<GenerationOptions> rowOptions,
        IReadOnlyList<int>? rowIndices = null, Action<int, int>? onToken = null, Func<int, bool>? abandoned = null,
        Action<int, GenerationResult>? finished = null, ContinuousBatching? joining = null,
        Action<int, TokenLogProbs>? onLogProbs = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(rowOptions);
        lock (gate) // one tape and one KV cache: calls from other threads (or another client over the same model) take turns
            return Decode(prompts, rowOptions, rowIndices, onToken, abandoned, finished, joining, onLogProbs);
    }

    private GenerationResult[] Decode(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<GenerationOptions> rowOptions,
        IReadOnlyList<int>? rowIndices, Action<int, int>? onToken, Func<int, bool>? abandoned,
        Action<int, GenerationResult>? finished, ContinuousBatching? joining, Action<int, TokenLogProbs>? onLogProbs)
    {
        int batch = prompts.Count;
        if (rowOptions.Count != batch) throw new ArgumentException("one options per prompt", nameof(rowOptions));
        if (batch == 0) return [];
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
        if (!options.UseCache) joining = null; // a step that recomputes every sequence has no cache to join
        if (joining is not null && (joining.Rows < 1 || joining.Capacity < 1 || joining.PrefillChunk < 0 || joining.CachePositions < 0))
            throw new ArgumentException($"continuous batching needs rows and capacity ≥ 1 and a prefill chunk and cache positions ≥ 0, got {joining.Rows}, {joining.Capacity}, {joining.PrefillChunk} and {joining.CachePositions}");
        int chunk = joining is { PrefillChunk: > 0 } ? joining.PrefillChunk : int.MaxValue; // prompt tokens prefilled between two steps
        prefill.End(); // none from an earlier call that failed
        int slots = Math.Max(batch, joining?.Rows ?? 0);
        var rows = new DecodingRow[slots]; // rows past the batch's prompts are free until a request joins
        for (int b = 0; b < batch; b++)
            rows[b] = new DecodingRow(prompts[b], rowOptions[b], Math.Min(rowOptions[b].MaxNewTokens, Context - prompts[b].Count), joined: false, BytesFor(rowOptions[b]))
            {
                Json = Constraint(rowOptions[b]),
            };
        // the rows that decode: one with no new tokens to make is left out of the batch from the start (its prompt
        // neither prefilled nor padded to)
        int[] live = [.. Enumerable.Range(0, batch).Where(b => rows[b].Max > 0)];
        int t0 = live.Length > 0 ? live.Max(b => prompts[b].Count) : 1;
        int maxNew = rows.Take(batch).Max(r => r.Max);
        var eos = options.EosTokenIds ?? EosIds;
        var sampler = new TokenSampler(rowOptions, head.VocabSize);
        sampler.Begin(prompts, index);

        // every batch row's prompt as left-padded (by batch row, for the no-cache steps; a row left out: padding only),
        // and the first step's input, the live rows' alone
        var prompt = StepBatches.LeftPad([.. Enumerable.Range(0, batch).Select(b => rows[b].Max > 0 ? prompts[b] : [])], t0, padId);
        var first = live.Length == batch ? prompt : StepBatches.LeftPad([.. live.Select(b => prompts[b])], t0, padId);
        // columns per row this call uses: a cache kept from an earlier, larger batch has more, which are not offered to
        // joining requests (the caller sizes its offers by the capacity it asked for). A row's room is its own (the
        // context less its own prompt), so a short prompt left-padded beside a long one needs columns past the
        // context (its positions stay within it); joining requests are offered columns up to the context only.
        int capacity = Math.Max(Math.Max(t0 + maxNew, 1), Math.Min(joining?.Capacity ?? 0, Context));
        int joinColumns = Math.Min(capacity, Context);
        long cachePositions = joining?.CachePositions ?? 0; // the caches' budget (0: no bound)
        if (options.UseCache)
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
            cache!.Clear(Math.Max(1, live.Length));
        }
        var running = new RunningRows(slots, live); // the rows the steps compute (joined rows included)
        // a row's products take the same path whatever number of rows a step has, up to the batch's slots (the few-row
        // GEMM sums a row in the same order alone and in any batch, where the packed one, above 16 rows, would round a
        // long row's sums differently once the rest have left); up to 32 rows only, where the few-row GEMM is still as
        // fast as the packed one (bench/kernel dot: a wash at 32, slower at 64), so larger batches switch at 32
        tape.FewRowLinear = Math.Min(slots, 32);
        var logits = new float[head.VocabSize];
        float[]? raw = null; // the logits before the sampler processes them, for rows that report log-probabilities
        var results = new GenerationResult[batch];
        void Finish(int b, bool tell = true)
        {
            var result = rows[b].Result(decode);
            if (!rows[b].Joined) results[b] = result;
            if (tell) finished?.Invoke(b, result);
        }
        // Row b's next token from its logits (in `logits`); its Reason is set when the token ends it.
        int Choose(int b)
        {
            var row = rows[b];
            if (row.LogProbs is not null) logits.CopyTo(raw ??= new float[logits.Length]);
            if (row.Json is { } json && !json.Mask(logits))
            {
                row.Reason = FinishReason.Length; // no token continues the JSON text
                return padId;
            }
            int id = sampler.Next(b, logits);
            sampler.Observe(b, id);
            row.Generated.Add(id);
            if (row.LogProbs is { } logProbs)
            {
                var entry = TokenLogProbs.Of(raw!, id, row.Options.LogProbs!.Value);
                logProbs.Add(entry);
                onLogProbs?.Invoke(b, entry);
            }
            onToken?.Invoke(b, id);
            bool closed = row.Json?.Accept(id) == true;
            if (eos.Contains(id)) row.Reason = FinishReason.Eos;
            else if (row.MaxStop > 0 && row.StopsAt(decode) is int at and >= 0)
            {
                row.Reason = FinishReason.Stop;
                row.Cut = at;
            }
            else if (closed) row.Reason = FinishReason.Eos; // the JSON object is complete: only the end may follow
            else if (row.Generated.Count == row.Max) row.Reason = FinishReason.Length;
            return id;
        }
        // Between steps: the next chunk of the prompt being prefilled, and free rows (finished, abandoned, or not used yet)
        // to the requests `joining` gives while the chunk's budget lasts, all their chunks prefilled in one pass; a request
        // counts as active from when its prefill starts. Returns the change in active rows.
        int Join()
        {
            int change = 0, budget = chunk, going = prefill.Row;
            if (going >= 0)
            {
                if (abandoned?.Invoke(going) == true)
                {
                    prefill.Drop();
                    return -1;
                }
                prefill.Continue(ref budget);
            }
            for (int s = 0; s < slots && budget > 0; s++)
            {
                if (s == going || rows[s] is { Reason: null }) continue;
                var kv = cache!;
                int filled = kv.Length, left = joinColumns - filled;
                int longest = Math.Min(filled, prefill.Longest()); // that fits the columns and the prefill cache
                int room = left - JoinPrefill.Steps(longest, budget, chunk); // for the longest prompt that fits
                if (longest < 1 || room < 1 || joining!.Next(s, longest, room) is not { } next) break;
                int steps = JoinPrefill.Steps(next.Prompt.Count, budget, chunk);
                CheckJoin(next, options, longest, longest < filled, left - steps, steps);
                var json = Constraint(next.Options);
                if (s < batch && !rows[s].Joined && results[s] is null) Finish(s, tell: false); // an abandoned first row's tokens so far
                change++;
                if (!prefill.Take(s, next, json, ref budget)) break; // its next chunk after the next step
            }
            if (!prefill.Planned) return change;
            prefill.Run(capacity);
            for (int i = 0; i < prefill.Finished.Count; i++) change += Adopt(prefill.Finished[i]) - 1;
            return change;
        }
        // A prefilled request into its row (right-aligned before the filled columns), its first token chosen from the
        // prefill's logits; 1 when it goes on decoding, 0 when that token ended it.
        int Adopt(PrefillPart part)
        {
            int s = part.Row;
            var next = part.Join;
            rows[s] = new DecodingRow(next.Prompt, next.Options, next.Options.MaxNewTokens, joined: true, BytesFor(next.Options)) { Json = part.Json };
            sampler.Restart(s, next.Prompt, next.Options, next.RowIndex);
            prefill.Logits(part).CopyTo(logits);
            int id = Choose(s);
            if (rows[s].Reason is not null)
            {
                Finish(s);
                return 0; // done at its first token: it never runs in a step
            }
            int slot = running.Add(s);
            cache!.Adopt(slot, prefill.Cache, part.Slot);
            running.Fit();
            running.Step.Ids[slot] = id;
            return 1;
        }
        // Between steps: the rows that are done (finished, abandoned) leave the steps, the last running row taking each
        // one's slot and cache row, so that a step computes the rows still decoding only.
        void Compact()
        {
            for (int i = running.Count - 1; i >= 0; i--)
            {
                if (rows[running.RowAt(i)].Reason is null) continue;
                running.Remove(i); // the last slot, already kept, moves into i
                if (options.UseCache) cache!.Remove(i);
            }
            running.Fit();
        }
        int active = 0;
        for (int b = 0; b < batch; b++)
        {
            if (rows[b].Max > 0)
            {
                active++;
                continue;
            }
            rows[b].Reason = FinishReason.Length;
            Finish(b);
        }
        for (int n = 0; active > 0; n++)
        {
            if (abandoned is not null)
            {
                for (int b = 0; b < slots; b++)
                {
                    if (running.SlotOf(b) < 0 || rows[b].Reason is not null || !abandoned(b)) continue;
                    rows[b].Reason = FinishReason.Length;
                    active--;
                }
                if (active == 0) break;
            }
            if (n > 0) Compact(); // before joining: a row done frees its slot for a request
            if (n > 0 && joining is not null)
            {
                active += Join();
                while (active == 1 && prefill.Row >= 0) active += Join(); // no row decodes: the prefill goes on without steps
                if (active == 0) break;
            }
            tape.Reset();
            var input = n == 0 ? first : options.UseCache ? running.Step : StepBatches.Extend(prompt, rows, running, n);
            var hidden = decoder.Forward(tape, input, options.UseCache ? cache : null);
            var last = running.Last;
            for (int i = 0; i < last.Length; i++) last[i] = i * input.Seq + input.Seq - 1;
            var all = head.Logits(tape, hidden, last).Span; // [running rows, V]
            for (int b = 0; b < slots; b++) // in batch-row order, as the callbacks have always heard them
            {
                int i = running.SlotOf(b);
                if (i < 0) continue;
                int id = padId;
                if (rows[b].Reason is null)
                {
                    all.Slice(i * head.VocabSize, head.VocabSize).CopyTo(logits);
                    id = Choose(b);
                    if (rows[b].Reason is not null)
                    {
                        active--;
                        Finish(b);
                    }
                }
                running.Step.Ids[i] = id;
            }
        }
        for (int b = 0; b < batch; b++)
        {
            if (results[b] is null && !rows[b].Joined) Finish(b, tell: false); // abandoned rows: their tokens so far, for the caller alone
        }
        Release(cachePositions); // a single request beyond the budget, which ran alone, leaves room for later batches to join
        return results;
    }

    // Lets the batch's cache go when it holds more than `most` positions (0: no bound).
    private void Release(long most)
    {
        if (most > 0 && cache is not null && (long)cache.Rows * cache.Capacity > most) cache = null;
    }

    // A JSON row's constraint, or a row of required tool calls' (null for free text).
    private ITokenConstraint? Constraint(GenerationOptions options)
    {
        if (options.Format == OutputFormat.Text && options.ToolCalls is null) return null;
        if (vocabulary is null) throw new ArgumentException("JSON output needs the tokenizer's token bytes, and this generator was given none");
        if (options.ToolCalls is { } calls) return calls.Constraint(vocabulary.Value, options.EosTokenIds ?? EosIds);
        return options.Format == OutputFormat.JsonSchema
            ? new JsonConstraint<JsonSchemaAutomaton>(vocabulary.Value, options.Schema!.Start())
            : new JsonConstraint<JsonAutomaton>(vocabulary.Value, default);
    }

    // The token bytes a row with stop strings matches them with (null: none given, or no stop strings).
    private IReadOnlyList<byte[]>? BytesFor(GenerationOptions options) => options.StopStrings.Count > 0 ? tokenBytes?.Value : null;

    private static bool Compatible(GenerationOptions o, GenerationOptions batch) =>
        o.UseCache == batch.UseCache && SameIds(o.EosTokenIds, batch.EosTokenIds);

    // What a joining request must be (the caller chose it to fit): a bug of the caller otherwise, not a request to refuse.
    // The prompt room offered is the filled columns, or less when `budgeted`: what the prefill cache's positions allow.
    private static void CheckJoin(GenerationJoin join, GenerationOptions batch, int promptRoom, bool budgeted, int newRoom, int steps)
    {
        join.Options.Validate();
        if (!Compatible(join.Options, batch)) throw new ArgumentException("a joining request needs the batch's UseCache and EosTokenIds");
        if (join.Prompt.Count < 1 || join.Prompt.Count > promptRoom)
            throw new ArgumentException($"a joining prompt of {join.Prompt.Count} tokens does not fit the {promptRoom} " +
                (budgeted ? "tokens the prefill cache's budget leaves (ContinuousBatching.CachePositions)" : "filled columns"));
        if (join.Options.MaxNewTokens < 1 || join.Options.MaxNewTokens > newRoom)
            throw new ArgumentException($"a joining request's {join.Options.MaxNewTokens} new tokens do not fit the {newRoom} columns left" +
                (steps > 0 ? $" once the {steps} steps during its chunked prefill have run" : ""));
    }

    private static bool SameIds(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b));
}
