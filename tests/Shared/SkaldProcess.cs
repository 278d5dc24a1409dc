using System.Diagnostics;

namespace Skald.Tests;

/// <summary>
/// Runs the real <c>skald</c> executable as a user would: <c>dotnet skald.dll</c> from the test's output folder (it is
/// copied there by the test project's reference to Skald.Cli), output redirected, SKALD_DEBUG unset. The one CLI process
/// runner of every test project (linked in by Directory.Build.props).
/// </summary>
internal static class SkaldProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "skald.dll");

    public static Result Run(params string[] args) => RunIn(null, args);

    /// <summary>Runs skald with <paramref name="workingDirectory"/> as the current directory (null: inherit).</summary>
    public static Result RunIn(string? workingDirectory, params string[] args) => RunWith(workingDirectory, null, args);

    /// <summary>Runs skald with extra environment variables (<paramref name="environment"/>; null: none).</summary>
    public static Result RunWith(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = StartInfo(workingDirectory, args);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return Run(psi);
    }

    /// <summary>Runs <paramref name="psi"/> (made by <see cref="StartInfo"/>, then changed) to its end, output read.</summary>
    public static Result Run(ProcessStartInfo psi)
    {
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(600_000))
        {
            p.Kill(true);
            throw new TimeoutException(psi.FileName + " " + string.Join(' ', psi.ArgumentList));
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Runs skald, sends it Ctrl-C (SIGINT) once <paramref name="ready"/> holds (polled every 20 ms; it must hold before
    /// the run ends, and the run must still be running then: a test makes that certain with a server that holds its
    /// reply), and waits at most 60 s for it to exit: a Ctrl-C that waited out a Retry-After (up to 300 s) fails here.
    /// The wait for <paramref name="ready"/> is bounded only as a hang guard (10 min, as <see cref="Run(ProcessStartInfo)"/>):
    /// a slow start under load is no failure.
    /// </summary>
    public static Result RunAndInterrupt(Func<bool> ready, params string[] args) => RunAndInterrupt(ready, () => { }, args);

    /// <summary>
    /// <see cref="RunAndInterrupt(Func{bool}, string[])"/>, calling <paramref name="interrupted"/> once Ctrl-C is sent
    /// (to release a reply a test's server held until then, so the run could not end before Ctrl-C).
    /// </summary>
    public static Result RunAndInterrupt(Func<bool> ready, Action interrupted, params string[] args)
    {
        using var p = Process.Start(StartInfo(null, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (!ready() && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Xunit.Assert.True(ready(), "skald never got to the moment for Ctrl-C" + (p.HasExited ? $" (it ended with {p.ExitCode})" : ""));
        Xunit.Assert.False(p.HasExited, "skald finished before Ctrl-C");
        using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
        interrupted();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(true);
            throw new TimeoutException("skald did not exit after Ctrl-C: " + string.Join(' ', args));
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The start info for skald with these arguments (for tests that drive the process themselves).</summary>
    public static ProcessStartInfo StartInfo(string? workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        psi.ArgumentList.Add(DllPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("SKALD_DEBUG");
        return psi;
    }

    /// <summary>
    /// Asserts a user error: the exit code, exactly one line on stderr starting "skald: error: " and containing every
    /// fragment, no stack trace.
    /// </summary>
    public static void AssertUserError(Result r, int exitCode, params string[] fragments)
    {
        Xunit.Assert.True(r.ExitCode == exitCode, $"exit code {r.ExitCode}, expected {exitCode}; stderr: {r.Stderr}");
        string err = r.Stderr.Trim();
        Xunit.Assert.DoesNotContain("   at ", err);
        Xunit.Assert.DoesNotContain("Unhandled exception", err);
        Xunit.Assert.DoesNotContain('\n', err);
        Xunit.Assert.StartsWith("skald: error: ", err);
        foreach (var f in fragments) Xunit.Assert.Contains(f, err);
    }
}
