namespace Skald.Cli.Tests.Packaging;

/// <summary>
/// What a NuGet user sees of each package before installing it: every packable project under src/ has its own
/// description (without one, <c>dotnet pack</c> writes "Package Description" into the nuspec). Reads the evaluated
/// properties with <c>dotnet msbuild -getProperty</c> (no build, no pack): a few seconds a project.
/// </summary>
[Collection(PackageRun.Collection)]
[Trait("Category", "Packaging")]
public sealed class PackageMetadataTests
{
    [Fact]
    public void EveryPackableLibraryAndTheToolDescribeThemselves()
    {
        var projects = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "src"), "*.csproj", SearchOption.AllDirectories);
        Assert.Contains(projects, p => p.EndsWith("Skald.Serving.csproj", StringComparison.Ordinal));
        var undescribed = new List<string>();
        foreach (string project in projects)
        {
            var run = PackageRun.Dotnet(TestPaths.RepoRoot, null, "msbuild", project, "-getProperty:IsPackable", "-getProperty:Description");
            Assert.True(run.Code == 0, run.Output);
            using var doc = System.Text.Json.JsonDocument.Parse(run.Output);
            var properties = doc.RootElement.GetProperty("Properties");
            if (!string.Equals(properties.GetProperty("IsPackable").GetString(), "true", StringComparison.OrdinalIgnoreCase)) continue;
            string description = properties.GetProperty("Description").GetString() ?? "";
            if (description.Length == 0 || description == "Package Description") undescribed.Add(Path.GetFileName(project));
        }
        Assert.Empty(undescribed);
    }
}
