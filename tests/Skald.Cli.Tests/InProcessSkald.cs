namespace Skald.Cli.Tests;

/// <summary>
/// Runs a verb in this test process (<see cref="Cli.Run"/>), a fraction of the cost of starting skald: for tests that
/// check only what a run prints, writes and returns. Its output is captured per run (<see cref="ConsoleRouter"/>), so
/// such tests run in parallel like any other. Not for what needs a process of its own: environment variables, the
/// current directory, stdin, signals and kills, mpirun, <c>--help</c> (its usage line names the process: here the test
/// host), or concurrent writers of one index (their staging folders and locks are named by process id). What a verb
/// writes to stdout as bytes (search's and rerank's JSON) is captured too (<see cref="ConsoleOutStream"/>). Tests that check
/// which files the process holds open (<see cref="OpenFiles"/>) go in <see cref="InProcessSkaldCollection"/>, which
/// runs alone.
/// </summary>
internal static class InProcessSkald
{
    /// <summary>Runs <c>skald <paramref name="args"/></c>; returns its exit code (its output is dropped).</summary>
    public static int Run(params string[] args) => Capture(args).ExitCode;

    /// <summary>
    /// Runs <c>skald <paramref name="args"/></c> with its output captured, as <see cref="SkaldProcess.Run(string[])"/>
    /// returns it (so <see cref="SkaldProcess.AssertUserError"/> checks it the same way).
    /// </summary>
    public static SkaldProcess.Result Capture(params string[] args)
    {
        var (capturedOut, capturedErr) = (new StringWriter(), new StringWriter());
        int code = 0;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? thrown = null;
        using (ConsoleRouter.Capture(capturedOut, capturedErr))
        {
            // On a thread of its own with the stack of a process's main thread (8 MB, not a test thread's 1.5 MB: deep
            // input nests as far as under skald itself), and bounded like SkaldProcess: a verb that hangs (serve started
            // where a test expected it to refuse) fails the test instead of the run. The capture flows to the thread.
            var thread = new Thread(() =>
            {
                try
                {
                    code = Cli.Run(args);
                }
                catch (Exception e)
                {
                    thrown = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e); // the test's failure, not the host's crash
                }
            }, MainThreadStack) { IsBackground = true, Name = "skald " + string.Join(' ', args.Take(2)) };
            thread.Start();
            if (!thread.Join(Timeout)) throw new TimeoutException("skald " + string.Join(' ', args));
            thrown?.Throw();
        }
        return new SkaldProcess.Result(code, capturedOut.ToString(), capturedErr.ToString());
    }

    private const int MainThreadStack = 8 << 20;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);
}
