using System.Diagnostics;

namespace Skald.Cli.Tests.Packaging;

/// <summary>
/// The .NET tool as a user gets it: <c>dotnet pack</c> of src/Skald.Cli (from the build this test run made, so
/// <c>--no-build</c>) into a temp feed, <c>dotnet tool install --tool-path</c> from that folder only (a nuget.config
/// that clears every other source, so nothing is fetched), then the installed <c>skald</c> runs <c>--help</c> and
/// <c>encode</c> on a fixture model. About 15 s.
/// </summary>
public sealed class ToolInstallTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public void PackedToolInstallsFromALocalFolderAndEncodes()
    {
        string dir = TestPaths.NewTempDir();
        string feed = Path.Combine(dir, "feed"), tools = Path.Combine(dir, "tools"), config = Path.Combine(dir, "nuget.config");
        var pack = Dotnet(TestPaths.RepoRoot, "pack", Path.Combine(TestPaths.RepoRoot, "src", "Skald.Cli", "Skald.Cli.csproj"),
            "-c", Configuration, "--no-build", "-o", feed);
        Assert.True(pack.Code == 0, pack.Output);
        Assert.True(File.Exists(Path.Combine(feed, "skald.0.1.0.nupkg")) || Directory.GetFiles(feed, "skald.*.nupkg").Length == 1, pack.Output);
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        var install = Dotnet(dir, "tool", "install", "--tool-path", tools, "--configfile", config, "--add-source", feed, "skald");
        Assert.True(install.Code == 0, install.Output);

        string skald = Path.Combine(tools, OperatingSystem.IsWindows() ? "skald.exe" : "skald");
        var help = Run(dir, skald, "--help");
        Assert.True(help.Code == 0, help.Output);
        Assert.Contains("encode", help.Output);

        string input = Path.Combine(dir, "texts.txt"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, ["Hei verden", "Hej världen"]);
        var encode = Run(dir, skald, "encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", output);
        Assert.True(encode.Code == 0, encode.Output);
        Assert.Equal(2, File.ReadAllLines(output).Length);
    }

    private static (int Code, string Output) Dotnet(string workingDirectory, params string[] args) => Run(workingDirectory, "dotnet", args);

    private static (int Code, string Output) Run(string workingDirectory, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
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
