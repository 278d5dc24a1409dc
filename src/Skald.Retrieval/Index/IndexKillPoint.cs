namespace Skald.Retrieval.Index;

/// <summary>
/// A test hook: when the environment variable <see cref="Variable"/> names one of the points an index write passes
/// (<c>postings</c>, <c>rows</c>, <c>staged</c>, <c>aside</c>, <c>swapped</c>, <c>tombstones</c>, <c>linking</c>; see
/// <see cref="IndexWriter"/> and <see cref="IndexBuilder"/>), the process kills itself there with SIGKILL (no
/// finally blocks, no flushes), as a power cut or <c>kill -9</c> would stop it. Tests run <c>skald index ...</c> with
/// it to check that a write cut at any of those moments leaves the index whole, old or new. Unset, it costs one
/// string comparison a point (a handful per write).
/// </summary>
internal static class IndexKillPoint
{
    /// <summary>The environment variable naming the point to die at.</summary>
    public const string Variable = "SKALD_TEST_INDEX_KILL_AT";

    private static readonly string? Target = Environment.GetEnvironmentVariable(Variable);

    /// <summary>Dies here when <see cref="Variable"/> names <paramref name="point"/>.</summary>
    public static void Reach(string point)
    {
        if (Target is null || !string.Equals(Target, point, StringComparison.Ordinal)) return;
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        self.Kill(); // SIGKILL on Unix, TerminateProcess on Windows: nothing after this line runs
        Thread.Sleep(Timeout.Infinite);
    }

    /// <summary>
    /// <paramref name="linking"/> (an HNSW graph's progress callback), or, when <see cref="Variable"/> is <c>linking</c>,
    /// one that dies once half the rows are linked: the graph half built in memory, nothing of it written.
    /// </summary>
    public static Action<int, int>? Linking(Action<int, int>? linking)
    {
        if (Target != "linking") return linking;
        return (done, total) =>
        {
            linking?.Invoke(done, total);
            if (2 * done >= total) Reach("linking");
        };
    }
}
