namespace Skald.Retrieval.Index;

/// <summary>
/// A test hook: when the environment variable <see cref="Variable"/> names one of the points an index write passes
/// (<c>staging</c>, <c>postings</c>, <c>rows</c>, <c>staged</c>, <c>aside</c>, <c>swapped</c>, <c>tombstones</c>,
/// <c>linking</c>; see <see cref="IndexWriter"/> and <see cref="IndexBuilder"/>), the process kills itself there with
/// SIGKILL (no finally blocks, no flushes), as a power cut or <c>kill -9</c> would stop it; when
/// <see cref="PauseVariable"/> names one, the writing thread stops there for good, having written
/// <see cref="PausedLine"/> and the point's name as a line to stderr, so that a test reading that pipe kills it from
/// outside at that known moment (no timing). Tests run <c>skald index ...</c> with them to check that a write cut at
/// any of those moments leaves the index whole, old or new. Unset, they cost two string comparisons a point (a handful
/// per write).
/// </summary>
internal static class IndexKillPoint
{
    /// <summary>The environment variable naming the point to die at.</summary>
    public const string Variable = "SKALD_TEST_INDEX_KILL_AT";

    /// <summary>The environment variable naming the point to stop at (and say so on stderr).</summary>
    public const string PauseVariable = "SKALD_TEST_INDEX_PAUSE_AT";

    /// <summary>What a write stopped by <see cref="PauseVariable"/> writes to stderr before the point's name.</summary>
    public const string PausedLine = "skald: test: index write paused at ";

    private static readonly string? Target = Environment.GetEnvironmentVariable(Variable);

    private static readonly string? Pause = Environment.GetEnvironmentVariable(PauseVariable);

    /// <summary>Dies here when <see cref="Variable"/> names <paramref name="point"/>; stops here for good when <see cref="PauseVariable"/> does.</summary>
    public static void Reach(string point)
    {
        if (Pause is not null && string.Equals(Pause, point, StringComparison.Ordinal))
        {
            Console.Error.WriteLine(PausedLine + point);
            Console.Error.Flush();
            Thread.Sleep(Timeout.Infinite); // until the test kills the process
        }
        if (Target is null || !string.Equals(Target, point, StringComparison.Ordinal)) return;
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        self.Kill(); // SIGKILL on Unix, TerminateProcess on Windows: nothing after this line runs
        Thread.Sleep(Timeout.Infinite);
    }

    /// <summary>
    /// <paramref name="linking"/> (an HNSW graph's progress callback), or, when <see cref="Variable"/> or
    /// <see cref="PauseVariable"/> is <c>linking</c>, one that dies (or stops) once half the rows are linked: the graph
    /// half built in memory, nothing of it written.
    /// </summary>
    public static Action<int, int>? Linking(Action<int, int>? linking)
    {
        if (Target != "linking" && Pause != "linking") return linking;
        return (done, total) =>
        {
            linking?.Invoke(done, total);
            if (2 * done >= total) Reach("linking");
        };
    }
}
