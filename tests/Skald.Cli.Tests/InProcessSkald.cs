namespace Skald.Cli.Tests;

/// <summary>
/// Runs a verb in this test process (<see cref="Cli.Run"/>), for what only the process itself shows: which files it
/// still holds open when the verb returns (<see cref="OpenFiles"/>). Output is captured and dropped (the process tests
/// check it). The classes that use it are in <see cref="InProcessSkaldCollection"/>, which runs alone, so no other
/// run swaps the console under one or opens files meanwhile.
/// </summary>
internal static class InProcessSkald
{
    /// <summary>Runs <c>skald <paramref name="args"/></c>; returns its exit code.</summary>
    public static int Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetOut(new StringWriter());
        Console.SetError(new StringWriter());
        try
        {
            return Cli.Run(args);
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}
