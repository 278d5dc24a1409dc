namespace Skald.Cli.Tests;

/// <summary>
/// Runs a verb in this test process (<see cref="Cli.Run"/>): for what only the process itself shows (which files it
/// still holds open when the verb returns, <see cref="OpenFiles"/>), and for bad-input checks that need no process of
/// their own (<see cref="Capture"/>: a fraction of the cost of starting skald). The classes that use it are in
/// <see cref="InProcessSkaldCollection"/>, which runs alone, so no other run swaps the console under one or opens files
/// meanwhile.
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
        var (stdout, stderr) = (Console.Out, Console.Error);
        var (capturedOut, capturedErr) = (new StringWriter(), new StringWriter());
        Console.SetOut(capturedOut);
        Console.SetError(capturedErr);
        try
        {
            int code = Cli.Run(args);
            return new SkaldProcess.Result(code, capturedOut.ToString(), capturedErr.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}
