using System.Diagnostics;

namespace Skald.Tests;

/// <summary>Named pipes (mkfifo) for tests: a target skald writes straight into, and a run's output it cannot open
/// until someone reads it.</summary>
internal static class Fifo
{
    /// <summary>Makes a named pipe at <paramref name="path"/>.</summary>
    public static void Make(string path) => Xunit.Assert.Equal(0, Run("mkfifo", path));

    /// <summary>Whether <paramref name="path"/> is a named pipe (not replaced by a regular file).</summary>
    public static bool Is(string path) => Run("test", "-p", path) == 0;

    private static int Run(string tool, params string[] args)
    {
        using var p = Process.Start(tool, args);
        p.WaitForExit();
        return p.ExitCode;
    }
}
