using System.Reflection.PortableExecutable;

namespace Skald.Cli.Tests;

/// <summary>
/// A build that compiles Skald ReadyToRun (Release on linux-x64, Directory.Build.targets) also copies ReadyToRun images
/// of the package assemblies a skald process loads at start, here beside the tests: the thousands of skald processes
/// the tests start then do not JIT-compile the command-line parser (~250 methods) each time.
/// </summary>
public sealed class ReadyToRunOutputTests
{
    private static readonly string[] StartPackages =
        ["System.CommandLine.dll", "Spectre.Console.dll", "Spectre.Console.Ansi.dll", "System.Numerics.Tensors.dll", "YamlDotNet.dll"];

    [Fact]
    public void ThePackagesSkaldLoadsAtStartAreReadyToRunWhenSkaldIs()
    {
        // Either both (a Release build on linux-x64 with the crossgen2 pack) or neither (Debug, another host, or
        // -p:SkaldReadyToRun=false): never Skald compiled and its start packages left to the JIT.
        bool skald = IsReadyToRun("skald.dll");
        foreach (var file in StartPackages)
            Assert.True(IsReadyToRun(file) == skald, $"{file}: ReadyToRun {!skald}, skald.dll {skald}");
    }

    /// <summary>Whether the assembly beside the tests carries native code (a ReadyToRun header), not IL alone.</summary>
    private static bool IsReadyToRun(string file)
    {
        using var pe = new PEReader(File.OpenRead(Path.Combine(AppContext.BaseDirectory, file)));
        return pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0;
    }
}
