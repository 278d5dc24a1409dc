using System.Diagnostics;

namespace Skald.Training.Tests.Infra;

/// <summary>The real <c>skald</c> executable (built next to the tests through the project reference), run as a user would.</summary>
internal static class SkaldCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "skald.dll");

    public static ProcessStartInfo StartInfo(string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        psi.ArgumentList.Add(DllPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("SKALD_DEBUG");
        return psi;
    }

    public static Result Run(string workDir, params string[] args)
    {
        using var p = Process.Start(StartInfo(workDir, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(true);
            throw new TimeoutException("skald " + string.Join(' ', args));
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Asserts a user error: exit 1, one line on stderr starting "skald: error: " with every fragment, no stack trace.</summary>
    public static void AssertUserError(Result r, params string[] fragments)
    {
        Assert.Equal(1, r.ExitCode);
        string err = r.Stderr.Trim();
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain('\n', err);
        Assert.StartsWith("skald: error: ", err);
        foreach (var f in fragments) Assert.Contains(f, err);
    }
}
