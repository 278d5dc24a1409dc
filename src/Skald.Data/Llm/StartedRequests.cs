using System.Runtime.ExceptionServices;

namespace Skald.Data.Llm;

/// <summary>
/// Runs journaled requests with bounded concurrency so that a failure loses no answer already paid for: once one item
/// fails (the request budget is reached, an endpoint gives up), no further item starts, but the items already in flight
/// run to the end and are journaled; then the first failure is thrown. <c>Parallel.ForEachAsync</c> alone cancels the
/// items in flight on the first failure, so a run stopped by <c>--max-requests</c> threw away up to concurrency − 1
/// replies it had counted, and a budget no larger than the concurrency never got further on the next run. <c>stop</c>
/// (Ctrl-C) ends a run the same way, with an <see cref="OperationCanceledException"/> (and <see cref="LlmQuestionClient"/>
/// given the same token sends no retry after it: an item waiting out a backoff ends unanswered at once, instead of
/// waiting and asking again); cancelling <c>cancel</c> stops everything at once.
/// </summary>
public static class StartedRequests
{
    /// <summary>Runs <paramref name="body"/> over <paramref name="items"/>, at most <paramref name="concurrency"/> at a time.</summary>
    /// <param name="items">The work, in the order it is started.</param>
    /// <param name="concurrency">Items in flight at once (at least 1).</param>
    /// <param name="body">One item's request and journal entry.</param>
    /// <param name="cancel">Stops the run, items in flight included.</param>
    /// <param name="stop">Starts no further item; those in flight finish, then <see cref="OperationCanceledException"/>.</param>
    public static async Task ForEachAsync<T>(IEnumerable<T> items, int concurrency, Func<T, CancellationToken, ValueTask> body, CancellationToken cancel,
        CancellationToken stop = default)
    {
        ExceptionDispatchInfo? failure = null;
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancel },
            async (item, ct) =>
            {
                if (Volatile.Read(ref failure) is not null || stop.IsCancellationRequested) return; // stopping: start nothing new
                try
                {
                    await body(item, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
                {
                    Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
                }
            });
        failure?.Throw();
        stop.ThrowIfCancellationRequested();
    }
}
