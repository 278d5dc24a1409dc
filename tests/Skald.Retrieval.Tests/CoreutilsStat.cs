using System.Diagnostics;
using System.Globalization;

namespace Skald.Retrieval.Tests;

/// <summary>
/// coreutils' <c>stat</c>, an independent reader of what the kernel tells of a file, for checking what Skald reads
/// itself (<see cref="Skald.Retrieval.Index.FileIdentity"/>, <see cref="Skald.Retrieval.Index.ModelFingerprint.Stamp"/>).
/// </summary>
internal static class CoreutilsStat
{
    /// <summary>One line per file of <paramref name="files"/>, as <c>stat --format=<paramref name="format"/></c> shows it, split at spaces.</summary>
    public static string[][] Show(string format, params string[] files)
    {
        var psi = new ProcessStartInfo("stat") { RedirectStandardOutput = true };
        psi.ArgumentList.Add("--format=" + format);
        foreach (string f in files) psi.ArgumentList.Add(f);
        using var p = Process.Start(psi)!;
        string shown = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return [.. shown.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' '))];
    }

    /// <summary>A time shown as <c>%.9Y</c> or <c>%.9Z</c> show it (seconds, a point, nine digits) in nanoseconds since 1970.</summary>
    public static long Nanoseconds(string shown)
    {
        string[] parts = shown.Split('.');
        return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1_000_000_000L + long.Parse(parts[1], CultureInfo.InvariantCulture);
    }
}
