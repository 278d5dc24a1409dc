namespace Skald.Serving.Tests;

/// <summary>
/// A test that sends SIGINT to a child process: skipped, with the reason, when this process ignores SIGINT (a shell
/// started it in the background without job control), since the child then inherits the ignored disposition and
/// Ctrl+C could never reach it; SIGTERM is tested either way.
/// </summary>
public sealed class SigintFactAttribute : FactAttribute
{
    /// <summary>Reads SigIgn from /proc/self/status.</summary>
    public SigintFactAttribute()
    {
        if (SigintIgnored()) Skip = "SIGINT is ignored by this test process (started in the background), so a child cannot receive it";
    }

    private static bool SigintIgnored()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return false;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
            && ulong.TryParse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, null, out ulong mask)
            && (mask & (1UL << (2 - 1))) != 0;
    }
}
