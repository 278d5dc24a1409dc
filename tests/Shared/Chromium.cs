using System.Diagnostics;

namespace Skald.Tests;

/// <summary>Headless Chromium (Debian's <c>chromium</c> package) for tests that need a real browser's layout or PDF.</summary>
internal static class Chromium
{
    /// <summary>Where Debian installs it.</summary>
    public const string Program = "/usr/bin/chromium";

    /// <summary>Whether it is installed.</summary>
    public static bool Installed => File.Exists(Program);

    /// <summary>
    /// Runs it headless, offline and with a fresh profile, with <paramref name="args"/> after its own; its standard output
    /// and error. The test fails if it has not finished in a minute.
    /// </summary>
    public static (string Output, string Error) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={TestPaths.NewTempDir()}" }.Concat(args))
        {
            psi.ArgumentList.Add(arg);
        }
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(true);
            Xunit.Assert.Fail("chromium did not finish in 60 s");
        }
        return (output, stderr.Result);
    }
}
