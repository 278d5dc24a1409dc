namespace Skald.Tensors;

/// <summary>
/// A <see cref="RangeBody{TState}"/> and its state behind the one <see cref="Action{T1, T2}"/> the engine's pool runs:
/// one instance per thread and state type, kept between regions, so a region with state allocates nothing once the
/// thread has run one of its kind. Taken while a region runs it (a region started from inside it, which runs inline
/// anyway, would get an instance of its own).
/// </summary>
internal sealed class StateRegion<TState> where TState : struct
{
    [ThreadStatic] private static StateRegion<TState>? kept;

    private TState state;
    private RangeBody<TState>? body;

    private StateRegion() => Run = Invoke;

    /// <summary>The pool's view: runs the body over [start, end) with the state.</summary>
    public Action<int, int> Run { get; }

    /// <summary>This thread's instance (a new one when it is in use or the thread never had one), holding the region's
    /// state and body until <see cref="Return"/>.</summary>
    public static StateRegion<TState> Take(in TState state, RangeBody<TState> body)
    {
        var region = kept ?? new StateRegion<TState>();
        kept = null;
        region.state = state;
        region.body = body;
        return region;
    }

    /// <summary>Keeps <paramref name="region"/> for this thread's next region, its state and body cleared (a state
    /// holding references keeps nothing alive).</summary>
    public static void Return(StateRegion<TState> region)
    {
        region.state = default;
        region.body = null;
        kept = region;
    }

    private void Invoke(int start, int end) => body!(in state, start, end);
}
