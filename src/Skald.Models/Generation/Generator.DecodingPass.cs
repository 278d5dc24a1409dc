using Skald.Models.Architectures;

namespace Skald.Models.Generation;

public sealed partial class Generator
{
    /// <summary>
    /// One <see cref="Generate(IReadOnlyList{IReadOnlyList{int}}, IReadOnlyList{GenerationOptions}, IReadOnlyList{int}?, Action{int, int}?, Func{int, bool}?, Action{int, GenerationResult}?, ContinuousBatching?, Action{int, TokenLogProbs}?)"/>
    /// call's rows and steps, over its generator's decoder, tape and caches (made ready before <see cref="Run"/>): the
    /// prompts' rows, the rows a step computes, each step's token choice, the rows that leave and the requests that join.
    /// </summary>
    private sealed class DecodingPass
    {
        private readonly Generator owner;
        private readonly GenerationOptions options; // the first row's: UseCache and EosTokenIds are the batch's
        private readonly ContinuousBatching? joining;
        private readonly Action<int, int>? onToken;
        private readonly Func<int, bool>? abandoned;
        private readonly Action<int, GenerationResult>? finished;
        private readonly Action<int, TokenLogProbs>? onLogProbs;
        private readonly int batch;
        private readonly int chunk;       // prompt tokens prefilled between two steps
        private readonly int joinColumns; // the columns offered to joining requests
        private readonly DecodingRow[] rows; // rows past the batch's prompts are free until a request joins
        private readonly IReadOnlyList<int> eos;
        private readonly TokenSampler sampler;
        private readonly TokenBatch prompt; // every batch row's prompt as left-padded (by batch row, for the no-cache steps)
        private readonly TokenBatch first;  // the first step's input, the live rows' alone
        private readonly RunningRows running; // the rows the steps compute (joined rows included)
        private readonly float[] logits;
        private readonly GenerationResult[] results;
        private float[]? raw; // the logits before the sampler processes them, for rows that report log-probabilities

        /// <summary>The rows of <paramref name="prompts"/> (already checked), sampled and padded for the first step.</summary>
        public DecodingPass(Generator owner, IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<GenerationOptions> rowOptions,
            IReadOnlyList<int> index, ContinuousBatching? joining, Action<int, int>? onToken, Func<int, bool>? abandoned,
            Action<int, GenerationResult>? finished, Action<int, TokenLogProbs>? onLogProbs)
        {
            (this.owner, this.joining, this.onToken, this.abandoned, this.finished, this.onLogProbs) =
                (owner, joining, onToken, abandoned, finished, onLogProbs);
            batch = prompts.Count;
            options = rowOptions[0];
            chunk = joining is { PrefillChunk: > 0 } ? joining.PrefillChunk : int.MaxValue;
            Slots = Math.Max(batch, joining?.Rows ?? 0);
            rows = new DecodingRow[Slots];
            int context = owner.Context;
            for (int b = 0; b < batch; b++)
                rows[b] = new DecodingRow(prompts[b], rowOptions[b], Math.Min(rowOptions[b].MaxNewTokens, context - prompts[b].Count), joined: false, owner.BytesFor(rowOptions[b]))
                {
                    Json = owner.Constraint(rowOptions[b]),
                };
            // the rows that decode: one with no new tokens to make is left out of the batch from the start (its prompt
            // neither prefilled nor padded to)
            int[] live = [.. Enumerable.Range(0, batch).Where(b => rows[b].Max > 0)];
            Live = live.Length;
            int t0 = live.Length > 0 ? live.Max(b => prompts[b].Count) : 1;
            int maxNew = rows.Take(batch).Max(r => r.Max);
            eos = options.EosTokenIds ?? owner.EosIds;
            sampler = new TokenSampler(rowOptions, owner.head.VocabSize);
            sampler.Begin(prompts, index);
            // (a row left out: padding only)
            prompt = StepBatches.LeftPad([.. Enumerable.Range(0, batch).Select(b => rows[b].Max > 0 ? prompts[b] : [])], t0, owner.padId);
            first = live.Length == batch ? prompt : StepBatches.LeftPad([.. live.Select(b => prompts[b])], t0, owner.padId);
            // columns per row this call uses: a cache kept from an earlier, larger batch has more, which are not offered to
            // joining requests (the caller sizes its offers by the capacity it asked for). A row's room is its own (the
            // context less its own prompt), so a short prompt left-padded beside a long one needs columns past the
            // context (its positions stay within it); joining requests are offered columns up to the context only.
            Capacity = Math.Max(Math.Max(t0 + maxNew, 1), Math.Min(joining?.Capacity ?? 0, context));
            joinColumns = Math.Min(Capacity, context);
            running = new RunningRows(Slots, live);
            logits = new float[owner.head.VocabSize];
            results = new GenerationResult[batch];
        }

        /// <summary>Rows of the batch's KV cache: the prompts, or the rows continuous batching asks for when more.</summary>
        public int Slots { get; }

        /// <summary>Columns of the batch's KV cache.</summary>
        public int Capacity { get; }

        /// <summary>The prompts with new tokens to make (the first step's rows).</summary>
        public int Live { get; }

        /// <summary>Runs the steps until no row decodes; the prompts' results (abandoned rows: their tokens so far).</summary>
        public GenerationResult[] Run()
        {
            int active = FinishEmpty();
            for (int n = 0; active > 0; n++)
            {
                if (abandoned is not null)
                {
                    active -= Abandon();
                    if (active == 0) break;
                }
                if (n > 0) Compact(); // before joining: a row done frees its slot for a request
                if (n > 0 && joining is not null)
                {
                    active += Join();
                    while (active == 1 && owner.prefill.Row >= 0) active += Join(); // no row decodes: the prefill goes on without steps
                    if (active == 0) break;
                }
                active -= Step(n);
            }
            for (int b = 0; b < batch; b++)
            {
                if (results[b] is null && !rows[b].Joined) Finish(b, tell: false); // abandoned rows: their tokens so far, for the caller alone
            }
            return results;
        }

        // The prompts with no new tokens to make finish at once; returns the number of the others.
        private int FinishEmpty()
        {
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
            return active;
        }

        // The running rows the caller says are gone stop (without a finished call); returns how many.
        private int Abandon()
        {
            int gone = 0;
            for (int b = 0; b < Slots; b++)
            {
                if (running.SlotOf(b) < 0 || rows[b].Reason is not null || !abandoned!(b)) continue;
                rows[b].Reason = FinishReason.Length;
                gone++;
            }
            return gone;
        }

        // Step n: the running rows through the decoder and the head (the whole sequences without a cache, the last
        // tokens with one), each one's next token chosen; returns the number of rows it ended.
        private int Step(int n)
        {
            var tape = owner.tape;
            tape.Reset();
            var input = n == 0 ? first : options.UseCache ? running.Step : StepBatches.Extend(prompt, rows, running, n);
            var hidden = owner.decoder.Forward(tape, input, options.UseCache ? owner.cache : null);
            var last = running.Last;
            for (int i = 0; i < last.Length; i++) last[i] = i * input.Seq + input.Seq - 1;
            int vocab = owner.head.VocabSize;
            var all = owner.head.Logits(tape, hidden, last).Span; // [running rows, V]
            int ended = 0;
            for (int b = 0; b < Slots; b++) // in batch-row order, as the callbacks have always heard them
            {
                int i = running.SlotOf(b);
                if (i < 0) continue;
                int id = owner.padId;
                if (rows[b].Reason is null)
                {
                    all.Slice(i * vocab, vocab).CopyTo(logits);
                    id = Choose(b);
                    if (rows[b].Reason is not null)
                    {
                        ended++;
                        Finish(b);
                    }
                }
                running.Step.Ids[i] = id;
            }
            return ended;
        }

        private void Finish(int b, bool tell = true)
        {
            var result = rows[b].Result(owner.decode);
            if (!rows[b].Joined) results[b] = result;
            if (tell) finished?.Invoke(b, result);
        }

        // Row b's next token from its logits (in `logits`); its Reason is set when the token ends it.
        private int Choose(int b)
        {
            var row = rows[b];
            if (row.LogProbs is not null) logits.CopyTo(raw ??= new float[logits.Length]);
            if (row.Json is { } json && !json.Mask(logits))
            {
                row.Reason = FinishReason.Length; // no token continues the JSON text
                return owner.padId;
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
            else if (row.MaxStop > 0 && row.StopsAt(owner.decode) is int at and >= 0)
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
        private int Join()
        {
            var prefill = owner.prefill;
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
            for (int s = 0; s < Slots && budget > 0; s++)
            {
                if (s == going || rows[s] is { Reason: null }) continue;
                var kv = owner.cache!;
                int filled = kv.Length, left = joinColumns - filled;
                int longest = Math.Min(filled, prefill.Longest()); // that fits the columns and the prefill cache
                int room = left - JoinPrefill.Steps(longest, budget, chunk); // for the longest prompt that fits
                if (longest < 1 || room < 1 || joining!.Next(s, longest, room) is not { } next) break;
                int steps = JoinPrefill.Steps(next.Prompt.Count, budget, chunk);
                CheckJoin(next, options, longest, longest < filled, left - steps, steps);
                var json = owner.Constraint(next.Options);
                if (s < batch && !rows[s].Joined && results[s] is null) Finish(s, tell: false); // an abandoned first row's tokens so far
                change++;
                if (!prefill.Take(s, next, json, ref budget)) break; // its next chunk after the next step
            }
            if (!prefill.Planned) return change;
            prefill.Run(Capacity);
            for (int i = 0; i < prefill.Finished.Count; i++) change += Adopt(prefill.Finished[i]) - 1;
            return change;
        }

        // A prefilled request into its row (right-aligned before the filled columns), its first token chosen from the
        // prefill's logits; 1 when it goes on decoding, 0 when that token ended it.
        private int Adopt(PrefillPart part)
        {
            int s = part.Row;
            var next = part.Join;
            rows[s] = new DecodingRow(next.Prompt, next.Options, next.Options.MaxNewTokens, joined: true, owner.BytesFor(next.Options)) { Json = part.Json };
            sampler.Restart(s, next.Prompt, next.Options, next.RowIndex);
            owner.prefill.Logits(part).CopyTo(logits);
            int id = Choose(s);
            if (rows[s].Reason is not null)
            {
                Finish(s);
                return 0; // done at its first token: it never runs in a step
            }
            int slot = running.Add(s);
            owner.cache!.Adopt(slot, owner.prefill.Cache, part.Slot);
            running.Fit();
            running.Step.Ids[slot] = id;
            return 1;
        }

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

        // Between steps: the rows that are done (finished, abandoned) leave the steps, the last running row taking each
        // one's slot and cache row, so that a step computes the rows still decoding only.
        private void Compact()
        {
            for (int i = running.Count - 1; i >= 0; i--)
            {
                if (rows[running.RowAt(i)].Reason is null) continue;
                running.Remove(i); // the last slot, already kept, moves into i
                if (options.UseCache) owner.cache!.Remove(i);
            }
            running.Fit();
        }
    }
}
