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

    /// <summary>This machine's NuGet global packages folder (NUGET_PACKAGES, else ~/.nuget/packages).</summary>
    public static string MachinePackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>A nuget.config whose only sources are <paramref name="sources"/> (every other source cleared).</summary>
    public static string NugetConfig(params string[] sources) =>
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n"
        + string.Concat(sources.Select((s, i) => $"    <add key=\"source{i}\" value=\"{s}\" />\n"))
        + "  </packageSources>\n</configuration>\n";

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
