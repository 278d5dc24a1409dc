namespace Skald.Serving.Tests;

/// <summary>
/// A clock that stands still until the test moves it (<see cref="Advance"/>): its timestamps and timers (what
/// <c>Task.Delay(delay, clock)</c> waits on) pass only then, so what a server does within a delay is checked however
/// slowly a loaded machine runs the checks. <see cref="Waiting"/> says when a timer has been started on it.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly Lock gate = new();
    private readonly List<Timer> timers = [];
    private readonly TaskCompletionSource waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long now = TimeSpan.TicksPerDay; // ticks since an arbitrary start (timestamps are ticks)
    private int created;

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override long GetTimestamp()
    {
        lock (gate) return now;
    }

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

    /// <summary>Completes once a timer has been started on this clock.</summary>
    public Task Waiting => waiting.Task;

    /// <summary>How many timers have been created on this clock.</summary>
    public int Created
    {
        get
        {
            lock (gate) return created;
        }
    }

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        lock (gate) created++;
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock on by <paramref name="by"/>, running (on this thread) the callbacks of the timers due by then.</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        List<Timer> due;
        lock (gate)
        {
            now += by.Ticks;
            due = [.. timers.Where(t => t.Due <= now).OrderBy(t => t.Due)];
            foreach (var t in due)
            {
                if (t.Period > 0) t.Due += t.Period * Math.Max(1, (now - t.Due) / t.Period + 1);
                else timers.Remove(t);
            }
        }
        foreach (var t in due) t.Fire();
    }

    private void Schedule(Timer timer, TimeSpan dueTime, TimeSpan period)
    {
        lock (gate)
        {
            timers.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan) return;
            timer.Due = now + Math.Max(0, dueTime.Ticks);
            timer.Period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
            timers.Add(timer);
        }
        waiting.TrySetResult();
    }

    private void Remove(Timer timer)
    {
        lock (gate) timers.Remove(timer);
    }

    private sealed class Timer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public long Due { get; set; }

        public long Period { get; set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            clock.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose() => clock.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
