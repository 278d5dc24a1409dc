using System.Diagnostics;

namespace Skald.Cli.Tests.Packaging;

/// <summary>Runs dotnet (pack, tool install, run) for the packaging tests, with telemetry and the logo off.</summary>
internal static class PackageRun
{
    /// <summary>The xunit collection of the packaging tests: they pack the same projects, so they run one at a time.</summary>
    public const string Collection = "packaging";

#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    private static readonly Lazy<(string Feed, int Code, string Output)> Packed = new(() =>
    {
        string feed = Path.Combine(TestPaths.NewTempDir(), "feed");
        var (code, output) = Dotnet(TestPaths.RepoRoot, null, "pack", Path.Combine(TestPaths.RepoRoot, "Skald.slnx"), "-c", Configuration, "--no-build", "-o", feed);
        return (feed, code, output);
    });

    /// <summary>
    /// <c>dotnet pack Skald.slnx --no-build</c> (from the build this test run made) into a temp feed, made once for the
    /// test run: the packaging tests only read the feed (each app restores into its own NUGET_PACKAGES), so one pack
    /// serves them all. The exit code and output are the pack's.
    /// </summary>
    public static (string Feed, int Code, string Output) SolutionFeed() => Packed.Value;

    /// <summary>This machine's NuGet global packages folder (NUGET_PACKAGES, else ~/.nuget/packages).</summary>
    public static string MachinePackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>
    /// A nuget.config whose only sources are <paramref name="sources"/> (every other source cleared). With more than
    /// one, Skald's own packages come from the first (the feed this run packed) alone, through NuGet's package source
    /// mapping: a machine folder given after it may hold a Skald 0.1.0 restored from an older build, which NuGet would
    /// otherwise be free to take (the same version on two sources).
    /// </summary>
    public static string NugetConfig(params string[] sources) =>
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n"
        + string.Concat(sources.Select((s, i) => $"    <add key=\"source{i}\" value=\"{s}\" />\n"))
        + "  </packageSources>\n"
        + (sources.Length < 2 ? "" : "  <packageSourceMapping>\n"
            + "    <packageSource key=\"source0\">\n      <package pattern=\"Skald.*\" />\n    </packageSource>\n"
            + string.Concat(sources.Skip(1).Select((_, i) => $"    <packageSource key=\"source{i + 1}\">\n      <package pattern=\"*\" />\n    </packageSource>\n"))
            + "  </packageSourceMapping>\n")
        + "</configuration>\n";

    public static (int Code, string Output) Dotnet(string workingDirectory, IReadOnlyDictionary<string, string>? env, params string[] args) =>
        Run(workingDirectory, env, "dotnet", args);

    public static (int Code, string Output) Run(string workingDirectory, IReadOnlyDictionary<string, string>? env, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000))
        {
            p.Kill(true);
            throw new TimeoutException(file + " " + string.Join(' ', args));
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
