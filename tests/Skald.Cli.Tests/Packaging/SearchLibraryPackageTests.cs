namespace Skald.Cli.Tests.Packaging;

/// <summary>
/// The README's "Library" example of an index built, added to and searched from code, compiled and run as a .NET user
/// gets it: a fresh console app outside the repository that references only Skald.Retrieval 0.1.0 from the packed feed
/// (as <see cref="LibraryPackageTests"/> sets it up), its Program.cs the README's snippet with the model folder taken
/// from the command line. About 30 s.
/// </summary>
[Collection(PackageRun.Collection)]
[Trait("Category", "Packaging")]
public sealed class SearchLibraryPackageTests
{
    /// <summary>The README's C# block that builds a <c>TextIndex</c>.</summary>
    private static string ReadmeSnippet()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        const string fence = "```csharp\n";
        for (int at = readme.IndexOf(fence, StringComparison.Ordinal); at >= 0; at = readme.IndexOf(fence, at + 1, StringComparison.Ordinal))
        {
            int start = at + fence.Length, end = readme.IndexOf("```", start, StringComparison.Ordinal);
            string code = readme[start..end];
            if (code.Contains("TextIndex.Build(", StringComparison.Ordinal)) return code;
        }
        throw new InvalidOperationException("README.md has no C# block that calls TextIndex.Build");
    }

    [Fact]
    public void TheReadmesIndexExampleRunsWithOnlySkaldRetrievalReferenced()
    {
        string snippet = ReadmeSnippet();
        Assert.Contains("\"models/nb-sbert-base\"", snippet);
        string dir = TestPaths.NewTempDir();
        string feed = Path.Combine(dir, "feed"), app = Path.Combine(dir, "app");
        var pack = PackageRun.Dotnet(TestPaths.RepoRoot, null, "pack", Path.Combine(TestPaths.RepoRoot, "Skald.slnx"),
            "-c", PackageRun.Configuration, "--no-build", "-o", feed);
        Assert.True(pack.Code == 0, pack.Output);

        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), PackageRun.NugetConfig(feed, PackageRun.MachinePackages()));
        File.WriteAllText(Path.Combine(app, "app.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Skald.Retrieval" Version="0.1.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), snippet.Replace("\"models/nb-sbert-base\"", "args[0]", StringComparison.Ordinal));
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(dir, "packages") };
        var run = PackageRun.Dotnet(app, env, "run", "-c", "Release", "--", TestPaths.FixtureModel("bert-cased-mean"));
        Assert.True(run.Code == 0, run.Output);
        // both rows found (hybrid search ranks every row it scores), each line "score id text"
        var ids = run.Output.Trim().Split('\n').Select(line => line.Split(' ')).Where(w => w.Length > 2).Select(w => w[1]).ToHashSet();
        Assert.Contains("ferie", ids);
        Assert.Contains("lonn", ids);
        Assert.True(File.Exists(Path.Combine(app, "idx", "index.json")), run.Output);
    }
}
