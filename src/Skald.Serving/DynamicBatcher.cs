using System.Diagnostics;
using Skald.Models;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;

namespace Skald.Serving;

/// <summary>
/// Merges the inputs of concurrent requests into batches and runs them on one <see cref="SentenceEncoder"/> from a
/// single worker thread (the encoder runs one forward pass at a time; its kernels use the cores themselves). A batch
/// closes when it holds <see cref="EmbeddingServiceOptions.MaxBatchSize"/> inputs or
/// <see cref="EmbeddingServiceOptions.MaxBatchTokens"/> tokens, or <see cref="EmbeddingServiceOptions.MaxWait"/> after its
/// first input arrived; its inputs are sorted by length and cut into padded passes of at most MaxBatchTokens. Each
/// request's embeddings come back in its input order. A batch is gathered from the waiting requests in turn, one input
/// of each at a time, so a small request that arrives beside a big one rides in the next batch instead of waiting for
/// all of the big one's. A cancelled request (its client went away) leaves without
/// cancelling the others: its inputs are dropped from the queue, from the batch being gathered and from the passes of
/// a batch that have not started; once every request of a running pass is cancelled, the pass stops before its next
/// layer (<see cref="Tape.Pass"/>). <see cref="Drain"/> stops the waiting (the host is stopping: in-flight requests should not wait for company);
/// <see cref="Dispose"/> finishes every queued input, then stops.
/// </summary>
internal sealed class DynamicBatcher : IDisposable
{
    private sealed class Job(ModelInputs inputs, long arrived)
    {
        public readonly ModelInputs Inputs = inputs;
        public readonly long Arrived = arrived;
        public int Next; // its first input not yet gathered into a batch (under the gate)
        public readonly float[][] Results = new float[inputs.Count][];
        public int Remaining = inputs.Count;
        public readonly TaskCompletionSource<float[][]> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public long Pass; // the number of the last pass it joined (under the gate)
    }

    private readonly record struct Piece(Job Job, int Index)
    {
        public int Length => Job.Inputs.Encodings[Index].Length;
    }

    private readonly SentenceEncoder encoder;
    private readonly EmbeddingServiceOptions options;
    private readonly ServingMetrics metrics;
    private readonly Queue<Job> queue = new(); // jobs with inputs not gathered yet, in turn: one gathered goes to the back
    private int queued; // their inputs not gathered yet
    private readonly object gate = new(); // Monitor: Wait/PulseAll need it
    private readonly Thread worker;
    private readonly Tape tape = new(recording: false); // the worker's activation memory, reused pass after pass; set as Encode's before each
    private int pending;
    private bool stopping;
    private bool draining; // the host is stopping: run what is queued without waiting to fill batches
    private bool purge; // a job was cancelled: drop its inputs from the queue (and from the batch being gathered)
    private long pass; // the running pass's number (0: none has run), stamped on its jobs
    private bool running; // a pass is running
    private int cancelled; // requests cancelled while with the batcher (written under the gate)
    private int runningJobs; // the running pass's jobs not cancelled: at 0 the pass is cancelled
    private CancellationTokenSource passCancel = new(); // the running pass's token; replaced once cancelled

    public DynamicBatcher(SentenceEncoder encoder, EmbeddingServiceOptions options, ServingMetrics metrics)
    {
        this.encoder = encoder;
        this.options = options;
        this.metrics = metrics;
        metrics.TrackPending(() => Volatile.Read(ref pending), options.MaxQueuedInputs);
        worker = new Thread(Work) { IsBackground = true, Name = "skald-batcher" };
        worker.Start();
    }

    /// <summary>
    /// Queues prepared inputs; the task gives their embeddings in order. Once <paramref name="cancellationToken"/> is
    /// cancelled the task is cancelled and the job's inputs not yet in a forward pass are dropped from the queue (a
    /// client that went away costs no more passes).
    /// </summary>
    public Task<float[][]> Submit(ModelInputs inputs, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var job = new Job(inputs, Stopwatch.GetTimestamp());
        lock (gate)
        {
            if (stopping) throw new ApiException(503, "the server is shutting down", "server_error");
            // more than the whole queue holds never fits, however long the client waits: its own error, not a 503 to retry
            if (inputs.Count > options.MaxQueuedInputs)
                throw new ApiException(400, $"{inputs.Count} inputs are more than this server queues at once ({options.MaxQueuedInputs}); send fewer per request", param: "input");
            // everything accepted and not yet embedded counts, the inputs gathered into a batch that waits for mates too
            int waiting = Volatile.Read(ref pending);
            if (waiting + inputs.Count > options.MaxQueuedInputs)
                throw new ApiException(503, $"the server is overloaded ({waiting} inputs waiting); retry later", "server_error");
            if (inputs.Count > 0) queue.Enqueue(job);
            queued += inputs.Count;
            Interlocked.Add(ref pending, inputs.Count);
            metrics.Queue(queued);
            Monitor.PulseAll(gate);
        }
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() =>
            {
                if (!job.Done.TrySetCanceled(cancellationToken)) return;
                lock (gate)
                {
                    purge = true; // the worker drops the job's queued inputs the next time it looks at the queue
                    cancelled++;
                    // the running pass served it and now serves no one: stop it before its next layer
                    if (running && job.Pass == pass && --runningJobs == 0) passCancel.Cancel();
                    Monitor.PulseAll(gate);
                }
            });
            _ = job.Done.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }
        return job.Done.Task;
    }

    /// <summary>Inputs submitted whose embeddings are not back yet (queued, gathered into a batch, or running).</summary>
    public int Pending => Volatile.Read(ref pending);

    /// <summary>For tests: the requests cancelled while their inputs were with the batcher.</summary>
    internal int Cancelled => Volatile.Read(ref cancelled);

    /// <summary>For tests: the worker's tape (its layer hook).</summary>
    internal Tape Tape => tape;

    /// <summary>From now on batches run as soon as the worker is free, without waiting to fill (the host is stopping).</summary>
    public void Drain()
    {
        lock (gate)
        {
            draining = true;
            Monitor.PulseAll(gate);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            stopping = true;
            Monitor.PulseAll(gate);
        }
        worker.Join();
        passCancel.Dispose(); // no pass runs now, so no cancellation reaches it
    }

    private void Work()
    {
        var batch = new List<Piece>();
        while (Take(batch))
        {
            foreach (var group in batch.GroupBy(p => (p.Job.Inputs.PromptLength, p.Job.Inputs.Query)))
                Run([.. group.OrderByDescending(p => p.Length)]);
            batch.Clear();
        }
    }

    /// <summary>Waits for a batch; false when stopping with nothing queued.</summary>
    private bool Take(List<Piece> batch)
    {
        lock (gate)
        {
        start:
            Purge(batch);
            while (queued == 0)
            {
                if (stopping) return false;
                Monitor.Wait(gate);
                Purge(batch);
            }
            long first = long.MaxValue; // the earliest arrival among the gathered inputs
            int tokens = 0;
            while (batch.Count < options.MaxBatchSize)
            {
                if (queued > 0)
                {
                    var job = queue.Peek();
                    var next = new Piece(job, job.Next);
                    if (batch.Count > 0 && tokens + next.Length > options.MaxBatchTokens) break;
                    queue.Dequeue();
                    if (++job.Next < job.Inputs.Count) queue.Enqueue(job); // its next input after the other jobs' next
                    queued--;
                    batch.Add(next);
                    tokens += next.Length;
                    first = Math.Min(first, job.Arrived);
                    continue;
                }
                long wait = first + (long)(options.MaxWait.TotalSeconds * Stopwatch.Frequency) - Stopwatch.GetTimestamp();
                if (wait <= 0 || stopping || draining) break;
                metrics.Queue(queued); // gathered inputs left the queue (they still count as pending)
                Monitor.Wait(gate, TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                Purge(batch);
                if (batch.Count == 0 && queued == 0) goto start; // everything gathered was cancelled
            }
            metrics.Queue(queued);
            return true;
        }
    }

    /// <summary>Under the gate: drops the inputs of cancelled jobs from the queue and from <paramref name="batch"/>.</summary>
    private void Purge(List<Piece> batch)
    {
        if (!purge) return;
        purge = false;
        int dropped = batch.RemoveAll(p => p.Job.Done.Task.IsCanceled);
        int before = queued;
        var kept = queue.Where(j => !j.Done.Task.IsCanceled).ToArray();
        queue.Clear();
        queued = 0;
        foreach (var j in kept)
        {
            queue.Enqueue(j);
            queued += j.Inputs.Count - j.Next;
        }
        dropped += before - queued;
        Interlocked.Add(ref pending, -dropped);
        metrics.Queue(queued);
    }

    /// <summary>Runs pieces sorted by length (longest first) in padded passes of at most MaxBatchTokens, leaving out
    /// the pieces of jobs cancelled before their pass starts.</summary>
    private void Run(Piece[] pieces)
    {
        for (int start = 0, end = pieces.Length; start < end;)
        {
            int n = Begin(pieces, start, ref end);
            if (n == 0) break;
            try
            {
                Pass(pieces.AsSpan(start, n));
            }
            finally
            {
                End();
            }
            start += n;
        }
    }

    /// <summary>
    /// Under the gate: drops the pieces of cancelled jobs from [<paramref name="start"/>, <paramref name="end"/>) (in
    /// order, moving <paramref name="end"/>), takes the next pass's pieces from <paramref name="start"/> and marks it
    /// running with its jobs stamped; the number of pieces in the pass (0: none left).
    /// </summary>
    private int Begin(Piece[] pieces, int start, ref int end)
    {
        lock (gate)
        {
            int kept = start;
            for (int i = start; i < end; i++)
                if (!pieces[i].Job.Done.Task.IsCanceled) pieces[kept++] = pieces[i];
            Interlocked.Add(ref pending, -(end - kept));
            end = kept;
            if (start == end) return 0;
            int longest = pieces[start].Length, n = 1;
            while (start + n < end && (n + 1) * longest <= options.MaxBatchTokens) n++;
            pass++;
            runningJobs = 0;
            for (int i = start; i < start + n; i++)
            {
                var job = pieces[i].Job;
                if (job.Pass == pass) continue;
                job.Pass = pass;
                runningJobs++;
            }
            running = true;
            return n;
        }
    }

    /// <summary>Under the gate: the pass is over; a cancelled pass token is replaced for the next pass.</summary>
    private void End()
    {
        lock (gate)
        {
            running = false;
            if (!passCancel.IsCancellationRequested) return;
            passCancel.Dispose();
            passCancel = new CancellationTokenSource();
        }
    }

    private void Pass(ReadOnlySpan<Piece> pieces)
    {
        var encodings = new Encoding[pieces.Length];
        bool anyCounts = false;
        for (int i = 0; i < pieces.Length; i++)
        {
            encodings[i] = pieces[i].Job.Inputs.Encodings[pieces[i].Index];
            anyCounts |= pieces[i].Job.Inputs.EmbedCounts is not null;
        }
        int[]? counts = null;
        if (anyCounts)
        {
            counts = new int[pieces.Length];
            for (int i = 0; i < pieces.Length; i++)
                counts[i] = pieces[i].Job.Inputs.EmbedCounts is { } c ? c[pieces[i].Index] : encodings[i].Length;
        }
        float[][] rows;
        var token = passCancel.Token; // read on the worker, which alone replaces it (in End)
        try
        {
            rows = Forward(new ModelInputs(encodings, pieces[0].Job.Inputs.PromptLength, counts, pieces[0].Job.Inputs.Query), token);
        }
        catch (OperationCanceledException e) when (e.CancellationToken == token)
        {
            Interlocked.Add(ref pending, -pieces.Length); // every job of the pass was cancelled (and told so) already
            return;
        }
        catch (Exception e)
        {
            var error = e is ModelFormatException
                ? new ApiException(500, e.Message, "server_error")
                : new ApiException(500, $"the model failed on this batch ({e.GetType().Name}: {e.Message})", "server_error");
            foreach (var p in pieces) p.Job.Done.TrySetException(error);
            Interlocked.Add(ref pending, -pieces.Length);
            return;
        }
        metrics.Batch(pieces.Length, pieces.Length * pieces[0].Length);
        for (int i = 0; i < pieces.Length; i++)
        {
            var job = pieces[i].Job;
            job.Results[pieces[i].Index] = rows[i];
            if (Interlocked.Decrement(ref job.Remaining) == 0) job.Done.TrySetResult(job.Results);
        }
        Interlocked.Add(ref pending, -pieces.Length);
    }

    private float[][] Forward(ModelInputs inputs, CancellationToken cancellationToken)
    {
        // Encode's kernel paths (packed weights above all): Encode's bits; under the encoder's lock, taking turns with
        // Encode calls on the same model (the library's, /v1/search's queries), whose first passes pack its weights
        var y = encoder.InferOn(tape, inputs, cancellationToken); // [B, D]
        var span = y.Span;
        if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(span)))
            throw new ModelFormatException($"{encoder.Folder.Path}: the model gives a non-finite embedding (NaN or infinity); its weights or config.json are broken");
        var rows = new float[inputs.Count][];
        for (int i = 0; i < rows.Length; i++) rows[i] = span.Slice(i * y.Cols, y.Cols).ToArray();
        return rows;
    }
}
