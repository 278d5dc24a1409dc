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
    /// Starts skald with <paramref name="args"/>, waits until <paramref name="journal"/> holds at least
    /// <paramref name="lines"/> complete lines (the header and rows), and kills it; fails when the run ended first. With
    /// <paramref name="output"/> (the run's output file, which it opens only at its end) that path is a named pipe nobody
    /// reads until the kill, so the run cannot end before it however slow the test is; the pipe is removed after (it must
    /// still be one: the killed run put no file in its place).
    /// </summary>
    public static void KillAfter(string[] args, string journal, int lines, string? output = null)
    {
        if (output is not null) Fifo.Make(output);
        using (var p = Process.Start(SkaldProcess.StartInfo(null, args))!)
        {
            var deadline = DateTime.UtcNow.AddMinutes(10); // a hang guard only
            while (Complete(journal) < lines && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(5);
            Xunit.Assert.False(p.HasExited, "the run finished before it could be killed");
            p.Kill(); // SIGKILL: no clean-up runs
            p.WaitForExit();
        }
        Xunit.Assert.True(Complete(journal) >= lines);
        if (output is null) return;
        Xunit.Assert.True(Fifo.Is(output), $"{output}: the killed run replaced its output pipe");
        File.Delete(output);
    }
}
