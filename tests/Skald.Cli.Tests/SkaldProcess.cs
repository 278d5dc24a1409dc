using System.Diagnostics;

namespace Skald.Cli.Tests;

/// <summary>Runs the real <c>skald</c> executable (built next to the tests) as a user would.</summary>
internal static class SkaldProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => RunIn(null, args);

    /// <summary>Runs skald with <paramref name="workingDirectory"/> as the current directory (null: inherit).</summary>
    public static Result RunIn(string? workingDirectory, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "skald.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("SKALD_DEBUG");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(600_000))
        {
            p.Kill(true);
            throw new TimeoutException("skald " + string.Join(' ', args));
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Asserts a user error: non-zero exit, one line on stderr containing every fragment, no stack trace.</summary>
    public static void AssertUserError(Result r, int exitCode, params string[] fragments)
    {
        Assert.Equal(exitCode, r.ExitCode);
        string err = r.Stderr.Trim();
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("Unhandled exception", err);
        Assert.StartsWith("skald: error: ", err);
        foreach (var f in fragments) Assert.Contains(f, err);
    }
}
