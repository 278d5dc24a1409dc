using Skald.Tokenizers.Serialization;
namespace Skald.Models.Generation;

/// <summary>
/// The requests of a <see cref="SkaldChatClient"/> waiting for, or being decoded by, its one worker thread: batches
/// taken from the queue as they fit its budget, and continuous batching (requests taken into a running batch's free
/// rows between steps), with the owner's <see cref="SkaldChatClient.MaxBatchSize"/>,
/// <see cref="SkaldChatClient.MaxBatchTokens"/>, <see cref="SkaldChatClient.MaxQueue"/> and
/// <see cref="SkaldChatClient.BatchWait"/>.
/// </summary>
internal sealed class ChatBatchQueue(SkaldChatClient owner)
{
    private readonly Lock sync = new();
    private readonly List<ChatJob> queue = [];
    private bool draining;
    private int pending, running, largestBatch, joined;

    /// <summary>Requests waiting or being answered.</summary>
    public int Pending => pending;

    /// <summary>
    /// Requests being decoded: counted in as they leave the queue for a batch's row (under the queue's lock), out before
    /// their task completes, whether answered, cancelled or failed (and, whatever happens, when their batch ends).
    /// </summary>
    public int Running => Volatile.Read(ref running);

    /// <summary>Requests waiting, not yet taken into a batch (what <see cref="SkaldChatClient.MaxQueue"/> bounds).</summary>
    public int Queued
    {
        get
        {
            lock (sync) return queue.Count;
        }
    }

    /// <summary>The most requests decoded at once so far.</summary>
    public int LargestBatch => largestBatch;

    /// <summary>Requests that joined a running batch so far.</summary>
    public int Joined => joined;

    /// <summary>
    /// Queues a request; its task completes with its result, cancelled, or failed (a full queue is a
    /// <see cref="GenerationBusyException"/> at once). One worker at a time takes the first waiting request and those
    /// behind it that fit the context beside it (up to MaxBatchSize) and decodes them as one batch, each row with its own
    /// options and seed, taking more from the queue into free rows between steps (Decode). A cancelled request leaves the
    /// queue, or, once decoding, stops at the next step (the batch stops only when all of its requests are gone).
    /// <paramref name="onText"/> and <paramref name="onLogProbs"/> hear its text and tokens as they come (streaming).
    /// </summary>
    public Task<GenerationResult> RunAsync(int[] prompt, GenerationOptions options, Action<string>? onText,
        Action<TokenLogProbs>? onLogProbs, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        var job = new ChatJob(prompt, options, onText, onLogProbs, cancel);
        lock (sync)
        {
            if (queue.Count >= owner.MaxQueue) throw new GenerationBusyException($"{Counted.Of(queue.Count, "request")} {(queue.Count == 1 ? "is" : "are")} waiting already; retry later");
            Interlocked.Increment(ref pending);
            queue.Add(job);
            if (!draining)
            {
                draining = true;
                _ = Task.Factory.StartNew(Drain, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }
        var registration = cancel.Register(() =>
        {
            bool waiting;
            lock (sync) waiting = queue.Remove(job);
            if (!waiting) return;
            owner.LeftQueue?.Invoke();
            Settle(job, d => d.TrySetCanceled(cancel));
        });
        _ = job.Done.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        return job.Done.Task;
    }

    private void Drain()
    {
        List<ChatJob> batch = [];
        try
        {
            while (true)
            {
                lock (sync)
                {
                    if (queue.Count == 0)
                    {
                        draining = false;
                        return;
                    }
                }
                if (owner.BatchWait > TimeSpan.Zero && owner.MaxBatchSize > 1) Thread.Sleep(owner.BatchWait);
                lock (sync)
                {
                    if (queue.Count == 0) continue;
                    batch = Take();
                }
                Decode(batch);
            }
        }
        catch (Exception e) // not expected (Decode settles its batch, whatever fails); never leave requests waiting on a dead worker
        {
            List<ChatJob> left;
            lock (sync)
            {
                left = [.. batch, .. queue];
                queue.Clear();
                draining = false;
            }
            Fail(left, e);
        }
    }

    // The first waiting request, then any behind it whose prompt and length still fit the context beside the others.
    private List<ChatJob> Take()
    {
        var batch = new List<ChatJob> { queue[0] };
        int longest = queue[0].Prompt.Length, most = queue[0].Options.MaxNewTokens;
        for (int i = 1; i < queue.Count && batch.Count < owner.MaxBatchSize; i++)
        {
            var job = queue[i];
            int t = Math.Max(longest, job.Prompt.Length), m = Math.Max(most, job.Options.MaxNewTokens);
            if (t + m > owner.Generator.Context || (long)(batch.Count + 1) * (t + m) > owner.MaxBatchTokens) continue;
            batch.Add(job);
            (longest, most) = (t, m);
        }
        foreach (var job in batch)
        {
            queue.Remove(job);
            Start(job);
        }
        if (batch.Count > largestBatch) largestBatch = batch.Count;
        return batch;
    }

    // Each request is answered as soon as its row is done (a short answer does not wait for a long batch mate); a row
    // whose caller has gone stops at the next step and its request is settled cancelled then. Between steps a free row
    // goes to the request waiting longest that fits (ContinuousBatching, its prompt prefilled in chunks of PrefillChunk
    // tokens); one that passes an earlier request (which does not fit) must end by the batch's horizon, the column by
    // which the requests it still decodes may all be done (a request that stopped early or left no longer counts), so
    // that it does not keep the batch, and the request it passed, which starts the next batch, waiting longer. A failure
    // of the decoding itself is every caller's in the batch, as an InvalidOperationException (an ArgumentException stays
    // what the request itself got wrong), wherever it is thrown (sizing the batch, a step, a joining request), so that
    // every request taken from the queue is settled and the worker goes on with the next batch.
    private void Decode(List<ChatJob> batch)
    {
        var all = new List<ChatJob>(batch);
        try
        {
            Decode(batch, all);
            foreach (var job in all) Settle(job, d => d.TrySetCanceled(job.Cancel)); // none expected: every row is finished or abandoned
        }
        catch (Exception e)
        {
            Fail(all, e);
        }
        finally
        {
            foreach (var job in all) Stop(job); // none left running, whatever ended the batch
        }
    }

    // Decode's body: `all` gathers the batch's requests and those that join it (as each leaves the queue).
    private void Decode(List<ChatJob> batch, List<ChatJob> all)
    {
        owner.DecodingBatch?.Invoke();
        var (rows, capacity) = Room(batch);
        var slots = new ChatJob[rows];
        batch.CopyTo(slots);
        int busy = batch.Count;
        // a row ends by the column where its first token is chosen + its max tokens: the batch's own rows at its longest
        // prompt, a joining one where the offer's new-token room begins (its prefill's steps counted); 0 once it is done
        var ends = new int[rows];
        int longest = batch.Max(j => j.Prompt.Length);
        for (int b = 0; b < batch.Count; b++) ends[b] = longest + batch[b].Options.MaxNewTokens;
        var joining = new ContinuousBatching
        {
            Rows = rows,
            Capacity = capacity,
            PrefillChunk = owner.PrefillChunk,
            CachePositions = owner.MaxBatchTokens, // a request beyond it runs alone, and its cache goes when it is done
            Next = (row, promptRoom, newRoom) =>
            {
                owner.OfferingRow?.Invoke();
                int start = capacity - newRoom, horizon = 0;
                foreach (int end in ends) horizon = Math.Max(horizon, end);
                ChatJob? job = null;
                lock (sync)
                {
                    for (int i = 0; i < queue.Count; i++)
                    {
                        var next = queue[i];
                        int end = start + next.Options.MaxNewTokens;
                        if (next.Prompt.Length > promptRoom || next.Options.MaxNewTokens > newRoom || (i > 0 && end > horizon)) continue;
                        job = next;
                        queue.RemoveAt(i);
                        Start(job);
                        all.Add(job);
                        break;
                    }
                }
                if (job is null) return null;
                ends[row] = start + job.Options.MaxNewTokens;
                slots[row] = job;
                Interlocked.Increment(ref joined);
                if (++busy > largestBatch) largestBatch = busy;
                return new GenerationJoin(job.Prompt, job.Options);
            },
        };
        owner.Generator.GenerateTogether([.. batch.Select(j => j.Prompt)], [.. batch.Select(j => j.Options)],
            (row, delta) =>
            {
                if (!slots[row].Cancel.IsCancellationRequested) slots[row].OnText?.Invoke(delta);
            },
            row =>
            {
                var job = slots[row];
                if (!job.Cancel.IsCancellationRequested) return false;
                ends[row] = 0;
                busy--;
                Settle(job, d => d.TrySetCanceled(job.Cancel));
                return true;
            },
            (row, result) =>
            {
                ends[row] = 0;
                busy--;
                Settle(slots[row], d => d.TrySetResult(result));
            },
            owner.MaxBatchSize > 1 ? joining : null,
            (row, entry) =>
            {
                if (!slots[row].Cancel.IsCancellationRequested) slots[row].OnLogProbs?.Invoke(entry);
            });
    }

    // A batch's KV cache: its own need (longest prompt + most new tokens) or, when larger, its share of MaxBatchTokens,
    // MaxBatchTokens / (MaxBatchSize + 1) columns (at most the context), so that a request arriving later finds columns
    // left; and as many rows as MaxBatchTokens then holds beside one more row's columns, up to MaxBatchSize, so that it
    // finds a row (at least the batch's). The row's worth left over is the joining prompts' prefill cache (CachePositions:
    // the two together stay within MaxBatchTokens).
    private (int Rows, int Capacity) Room(List<ChatJob> batch)
    {
        int size = Math.Max(1, owner.MaxBatchSize);
        int need = batch.Max(j => j.Prompt.Length) + batch.Max(j => j.Options.MaxNewTokens);
        int columns = Math.Max(need, Math.Min(owner.Generator.Context, owner.MaxBatchTokens / (size + 1)));
        return (Math.Max(batch.Count, Math.Min(size, (owner.MaxBatchTokens - columns) / columns)), columns);
    }

    // Each of `jobs` not settled yet fails with `e` (the endpoint's error line), and is counted out.
    private void Fail(List<ChatJob> jobs, Exception e)
    {
        var failure = new InvalidOperationException($"generation failed: {e.Message}", e);
        foreach (var job in jobs) Settle(job, d => d.TrySetException(failure));
    }

    // Pending and Running count a request until its task completes, so a caller that sees it done sees it counted out.
    private void Settle(ChatJob job, Action<TaskCompletionSource<GenerationResult>> complete)
    {
        if (!job.Settle()) return;
        Stop(job);
        Interlocked.Decrement(ref pending);
        complete(job.Done);
    }

    private void Start(ChatJob job)
    {
        job.Start();
        Interlocked.Increment(ref running);
    }

    private void Stop(ChatJob job)
    {
        if (job.Stop()) Interlocked.Decrement(ref running);
    }
}
