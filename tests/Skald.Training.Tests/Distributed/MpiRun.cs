using System.Diagnostics;

namespace Skald.Training.Tests.Distributed;

/// <summary>
/// Runs the real skald under <c>mpirun --allow-run-as-root --oversubscribe -np N</c> (CI runs as root on 2 cores), one
/// thread per rank unless the test says otherwise, bounded by a timeout so a hung job fails the test.
/// </summary>
internal static class MpiRun
{
    /// <summary>mpirun on PATH, or null.</summary>
    public static string? Mpirun { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    /// <summary>The start info of <c>mpirun ... -np <paramref name="ranks"/> dotnet skald.dll args</c>.</summary>
    public static ProcessStartInfo StartInfo(int ranks, string dir, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var psi = SkaldProcess.StartInfo(dir, args);
        psi.FileName = Mpirun ?? throw new InvalidOperationException("mpirun is not installed");
        string[] launcher = ["--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "dotnet"];
        for (int i = 0; i < launcher.Length; i++) psi.ArgumentList.Insert(i, launcher[i]);
        psi.RedirectStandardInput = true; // mpirun forwards stdin to rank 0; give it an empty one
        psi.Environment["SKALD_THREADS"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return psi;
    }

    /// <summary>Runs the job to its end (at most 5 minutes, then it is killed and the test fails).</summary>
    public static SkaldProcess.Result Run(int ranks, string dir, params string[] args) => Run(ranks, dir, null, TimeSpan.FromMinutes(5), args);

    /// <summary>Runs the job to its end (at most <paramref name="timeout"/>, then it is killed and the test fails).</summary>
    public static SkaldProcess.Result Run(int ranks, string dir, IReadOnlyDictionary<string, string>? env, TimeSpan timeout, params string[] args)
    {
        using var p = Process.Start(StartInfo(ranks, dir, env, args))!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(true);
            throw new TimeoutException($"mpirun -np {ranks} skald {string.Join(' ', args)} did not end within {timeout}");
        }
        return new SkaldProcess.Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Process ids of the skald ranks (rank <paramref name="rank"/>) whose command line holds <paramref name="marker"/>.</summary>
    public static IEnumerable<int> RankPids(int rank, string marker)
    {
        foreach (var d in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out int pid)) continue;
            string cmd, env;
            try
            {
                cmd = File.ReadAllText(Path.Combine(d, "cmdline"));
                env = File.ReadAllText(Path.Combine(d, "environ"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (cmd.Contains("skald.dll", StringComparison.Ordinal) && cmd.Contains(marker, StringComparison.Ordinal)
                && env.Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}"))
                yield return pid;
        }
    }
}
