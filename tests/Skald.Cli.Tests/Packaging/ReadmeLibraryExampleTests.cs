namespace Skald.Cli.Tests.Packaging;

/// <summary>
/// The README's "Library" examples compiled and run as a .NET user gets them: fresh console apps outside the repository
/// (warnings as errors) that reference one packed package each from the feed (as <see cref="LibraryPackageTests"/> sets
/// it up), each Program.cs a README snippet as written, the model folder taken from the command line. Encoding
/// references Skald.Models alone, the index example Skald.Retrieval alone. (The ASP.NET Core example needs
/// Microsoft.Extensions.AI, which this offline machine does not have.) About a minute.
/// </summary>
[Collection(PackageRun.Collection)]
[Trait("Category", "Packaging")]
public sealed class ReadmeLibraryExampleTests
{
    private const string ReadmeModel = "\"models/nb-sbert-base\"";

    /// <summary>The README's C# block that contains <paramref name="marker"/>.</summary>
    private static string ReadmeSnippet(string marker)
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        const string fence = "```csharp\n";
        for (int at = readme.IndexOf(fence, StringComparison.Ordinal); at >= 0; at = readme.IndexOf(fence, at + 1, StringComparison.Ordinal))
        {
            int start = at + fence.Length, end = readme.IndexOf("```", start, StringComparison.Ordinal);
            string code = readme[start..end];
            if (code.Contains(marker, StringComparison.Ordinal)) return code;
        }
        throw new InvalidOperationException($"README.md has no C# block with {marker}");
    }

    /// <summary>Writes an app referencing <paramref name="package"/> whose Program.cs is <paramref name="program"/>, and runs it on the fixture model.</summary>
    private static (int Code, string Output) Run(string dir, string feed, string name, string package, string program)
    {
        string app = Path.Combine(dir, name);
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), PackageRun.NugetConfig(feed, PackageRun.MachinePackages()));
        File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{package}" Version="0.1.0" />
              </ItemGroup>
            </Project>
            """);
        Assert.Contains(ReadmeModel, program);
        File.WriteAllText(Path.Combine(app, "Program.cs"), program.Replace(ReadmeModel, "args[0]", StringComparison.Ordinal));
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(dir, "packages") };
        return PackageRun.Dotnet(app, env, "run", "-c", "Release", "--", TestPaths.FixtureModel("bert-cased-mean"));
    }

    [Fact]
    public void TheReadmesLibraryExamplesRunWithOnlyTheirPackageReferenced()
    {
        string dir = TestPaths.NewTempDir();
        string feed = Path.Combine(dir, "feed");
        var pack = PackageRun.Dotnet(TestPaths.RepoRoot, null, "pack", Path.Combine(TestPaths.RepoRoot, "Skald.slnx"),
            "-c", PackageRun.Configuration, "--no-build", "-o", feed);
        Assert.True(pack.Code == 0, pack.Output);

        var encode = Run(dir, feed, "encode", "Skald.Models",
            ReadmeSnippet("float similarity = model.Similarity(") + "Console.WriteLine($\"{embeddings.Length} {similarity}\");\n");
        Assert.True(encode.Code == 0, encode.Output);
        var last = encode.Output.Trim().Split('\n')[^1].Split(' ');
        Assert.Equal("2", last[0]);
        Assert.InRange(float.Parse(last[1], System.Globalization.CultureInfo.InvariantCulture), -1f, 1f); // a cosine similarity

        var search = Run(dir, feed, "search", "Skald.Retrieval", ReadmeSnippet("TextIndex.Build("));
        Assert.True(search.Code == 0, search.Output);
        // both rows found (hybrid search fuses every row dense search scores), each line "score id text"
        var ids = search.Output.Trim().Split('\n').Select(line => line.Split(' ')).Where(w => w.Length > 2).Select(w => w[1]).ToHashSet();
        Assert.Contains("ferie", ids);
        Assert.Contains("lonn", ids);
        Assert.True(File.Exists(Path.Combine(dir, "search", "idx", "index.json")), search.Output);
    }
}
