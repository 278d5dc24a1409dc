namespace Skald.Data.Llm;

/// <summary>
/// The requests a run may send (<see cref="LlmSettings.RequestBudget"/>), taken one at a time by concurrent workers: a
/// request is counted by <see cref="TryReserve"/> before it is sent, in one compare-and-swap, so workers racing for the
/// last request cannot both win it and a run sends exactly the budget, never a few more (a check of the count
/// followed by an increment let every worker that read the count between the two through). A reservation whose
/// request is never sent is given back with <see cref="Release"/>.
/// </summary>
public sealed class RequestBudget
{
    private readonly int? limit;
    private int taken;

    /// <summary>A budget of <paramref name="limit"/> requests; null: no limit (every reservation succeeds and is counted).</summary>
    public RequestBudget(int? limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit ?? 0, nameof(limit));
        this.limit = limit;
    }

    /// <summary>The limit (null: none).</summary>
    public int? Limit => limit;

    /// <summary>Requests reserved and not released: sent, or about to be.</summary>
    public int Taken => Volatile.Read(ref taken);

    /// <summary>Counts one more request unless the budget is spent; false (nothing counted) when it is.</summary>
    public bool TryReserve()
    {
        if (limit is not { } max)
        {
            Interlocked.Increment(ref taken);
            return true;
        }
        int seen = Volatile.Read(ref taken);
        while (true)
        {
            if (seen >= max) return false;
            int was = Interlocked.CompareExchange(ref taken, seen + 1, seen);
            if (was == seen) return true;
            seen = was; // another worker took one meanwhile: look again
        }
    }

    /// <summary>Gives back a reservation whose request was never sent.</summary>
    public void Release() => Interlocked.Decrement(ref taken);
}
