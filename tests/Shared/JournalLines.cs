using System.Diagnostics;

namespace Skald.Tests;

/// <summary>
/// A file another process appends lines to (a resume journal): how many complete lines it holds so far, and a
/// <c>skald</c> run killed (SIGKILL, no clean-up) once its journal holds enough of them, for the resume tests.
/// </summary>
internal static class JournalLines
{
    /// <summary>The newline-terminated lines in <paramref name="path"/> now (0 while it does not exist).</summary>
    public static int Complete(string path)
    {
        try
        {
            using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            int n = 0, b;
            while ((b = s.ReadByte()) >= 0) n += b == '\n' ? 1 : 0;
            return n;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Starts skald with <paramref name="args"/>, waits (at most 120 s) until <paramref name="journal"/> holds at least
    /// <paramref name="lines"/> complete lines (the header and rows), and kills it; fails when the run ended first.
    /// </summary>
    public static void KillAfter(string[] args, string journal, int lines)
    {
        using var p = Process.Start(SkaldProcess.StartInfo(null, args))!;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (Complete(journal) < lines && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(5);
        Xunit.Assert.False(p.HasExited, "the run finished before it could be killed");
        p.Kill(); // SIGKILL: no clean-up runs
        p.WaitForExit();
        Xunit.Assert.True(Complete(journal) >= lines);
    }
}
