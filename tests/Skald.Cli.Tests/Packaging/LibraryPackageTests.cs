namespace Skald.Cli.Tests.Packaging;

/// <summary>
/// The libraries as a .NET user gets them: <c>dotnet pack Skald.slnx --no-build</c> into a temp feed (<see cref="PackageRun.SolutionFeed"/>), a fresh console
/// app outside the repository that references Skald.Models 0.1.0 from that feed (plus this machine's NuGet package
/// folder for the third-party dependencies, so nothing is downloaded; a private NUGET_PACKAGES so no stale copy is
/// used) and encodes two sentences with a fixture model. About 30 s.
/// </summary>
[Collection(PackageRun.Collection)]
[Trait("Category", "Packaging")]
public sealed class LibraryPackageTests
{
    [Fact]
    public void AFreshConsoleAppEncodesWithThePackedLibraries()
    {
        string dir = TestPaths.NewTempDir();
        string app = Path.Combine(dir, "app");
        var (feed, code, output) = PackageRun.SolutionFeed();
        Assert.True(code == 0, output);
        foreach (string id in new[] { "Skald.Tensors", "Skald.Tokenizers", "Skald.Hub", "Skald.Models", "Skald.Retrieval", "Skald.Training", "Skald.Evaluation" })
            Assert.True(File.Exists(Path.Combine(feed, $"{id}.0.1.0.nupkg")), $"{id} not packed: {output}");

        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), PackageRun.NugetConfig(feed, PackageRun.MachinePackages()));
        File.WriteAllText(Path.Combine(app, "app.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Skald.Models" Version="0.1.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Skald.Models;

            var model = SentenceEncoder.Load(args[0]);
            float[][] e = model.Encode(["Hvor ligger legekontoret?", "Legekontoret ligger i sentrum."]);
            Console.WriteLine($"{e.Length} {e[0].Length} {model.Similarity(e[0], e[1]):F4}");
            """);
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(dir, "packages") };
        var run = PackageRun.Dotnet(app, env, "run", "-c", "Release", "--", TestPaths.FixtureModel("bert-cased-mean"));
        Assert.True(run.Code == 0, run.Output);
        var words = run.Output.Trim().Split('\n')[^1].Split(' ');
        Assert.Equal("2", words[0]);
        Assert.True(int.Parse(words[1], System.Globalization.CultureInfo.InvariantCulture) > 0, run.Output);
    }
}
