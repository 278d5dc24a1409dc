namespace Skald.Retrieval.Index;

/// <summary>
/// An index folder kept open for a long-running server and opened again when it changes: <c>skald index add</c> and
/// <c>index build</c> replace the folder at once and <c>index delete</c> replaces its tombstone file, so the files'
/// identities, sizes and times (<see cref="IndexGeneration"/>) say when: a write in the same tick of the file system's
/// clock that leaves the manifest's size as it was is still another file. <see cref="Refresh"/> (on a timer every
/// <c>refresh</c>, or called) opens the new version beside the old one and swaps them; searches hold a
/// <see cref="Lease"/>, so the old version is disposed only after the last search on it ends. A version that cannot
/// be opened or is refused by <c>accept</c> (say, built with another model) leaves the served one in place, with a
/// line to <c>log</c>; the server never stops serving because of it.
/// </summary>
public sealed class LiveIndex : IDisposable
{
    private readonly string folder;
    private readonly Action<string>? log;
    private readonly Action<SearchIndex>? accept;
    private readonly bool owns;
    private readonly Timer? timer;
    private readonly object refreshing = new();
    private Slot current;
    private string stamp;
    private bool disposed;
    private readonly bool reopens; // opened from the folder: Refresh may open it again

    /// <summary>Serves <paramref name="index"/> as it is (never reopened; disposed with this when <paramref name="owns"/>).</summary>
    public LiveIndex(SearchIndex index, bool owns = false)
    {
        folder = index.Folder;
        this.owns = owns;
        current = new Slot(index);
        stamp = IndexGeneration.Of(folder);
    }

    /// <summary>
    /// Opens <paramref name="folder"/> (no index there throws <see cref="DirectoryNotFoundException"/> or
    /// <see cref="FileNotFoundException"/>, a damaged one <see cref="EvaluationException"/>, here, before anything is served) and checks it for changes every <paramref name="refresh"/> (null or zero: only when
    /// <see cref="Refresh"/> is called). <paramref name="accept"/> throws <see cref="ArgumentException"/> for a version
    /// that must not be served.
    /// </summary>
    public LiveIndex(string folder, TimeSpan? refresh, Action<string>? log = null, Action<SearchIndex>? accept = null)
    {
        this.folder = folder;
        this.log = log;
        this.accept = accept;
        owns = true;
        reopens = true;
        stamp = IndexGeneration.Of(folder);
        var index = SearchIndex.Open(folder);
        try { accept?.Invoke(index); }
        catch { index.Dispose(); throw; }
        current = new Slot(index);
        if (refresh is { } every && every > TimeSpan.Zero) timer = new Timer(_ => RefreshQuietly(), null, every, every);
    }

    /// <summary>The version served now (for descriptions; searches take a <see cref="Lease"/>).</summary>
    public SearchIndex Current => Volatile.Read(ref current).Index;

    /// <summary>The version served now, kept open until the lease is disposed.</summary>
    public Lease Acquire()
    {
        while (true)
        {
            var slot = Volatile.Read(ref current);
            Interlocked.Increment(ref slot.Users);
            if (ReferenceEquals(slot, Volatile.Read(ref current))) return new Lease(slot);
            Release(slot); // swapped meanwhile: take the new one
        }
    }

    /// <summary>Opens the folder again when it changed since the served version was opened; returns whether it swapped.</summary>
    public bool Refresh()
    {
        if (!reopens) return false;
        lock (refreshing)
        {
            if (disposed) return false;
            string now;
            try { now = IndexGeneration.Of(folder); }
            catch (IOException) { return false; } // being replaced this very moment: next time
            if (now == stamp) return false;
            SearchIndex fresh;
            try
            {
                fresh = SearchIndex.Open(folder);
            }
            catch (Exception e) when (e is not OutOfMemoryException) // a damaged file may throw anything: the served version stays
            {
                log?.Invoke($"index {folder} changed but could not be opened ({e.Message}); still serving the previous version");
                stamp = now;
                return false;
            }
            try
            {
                accept?.Invoke(fresh);
            }
            catch (ArgumentException e)
            {
                fresh.Dispose();
                log?.Invoke($"index {folder} changed but is not served ({e.Message}); still serving the previous version");
                stamp = now;
                return false;
            }
            stamp = now;
            var old = Interlocked.Exchange(ref current, new Slot(fresh));
            Retire(old);
            log?.Invoke($"index {folder} reopened: {fresh.LiveCount} live rows");
            return true;
        }
    }

    /// <summary>The timer's refresh: whatever a damaged folder throws is a line in the log, never the server's end.</summary>
    private void RefreshQuietly()
    {
        try
        {
            Refresh();
        }
        catch (Exception e)
        {
            log?.Invoke($"index {folder} changed but could not be opened ({e.GetType().Name}: {e.Message}); still serving the previous version");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        timer?.Dispose();
        lock (refreshing)
        {
            if (disposed) return;
            disposed = true;
            if (owns) Retire(Volatile.Read(ref current));
        }
    }

    private static void Retire(Slot slot)
    {
        slot.Retired = true;
        if (Volatile.Read(ref slot.Users) == 0) slot.Close();
    }

    private static void Release(Slot slot)
    {
        if (Interlocked.Decrement(ref slot.Users) == 0 && slot.Retired) slot.Close();
    }

    internal sealed class Slot(SearchIndex index)
    {
        public readonly SearchIndex Index = index;
        public int Users;
        public volatile bool Retired;
        private int closed;

        public void Close()
        {
            if (Interlocked.Exchange(ref closed, 1) == 0) Index.Dispose();
        }
    }

    /// <summary>A search's hold on one version of the index.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly Slot slot;

        internal Lease(Slot slot) => this.slot = slot;

        /// <summary>The version this lease holds open.</summary>
        public SearchIndex Index => slot.Index;

        /// <inheritdoc />
        public void Dispose() => Release(slot);
    }
}
