using System.Text.Json;
using System.Xml.Linq;

namespace Skald.Cli.Tests.Packaging;

/// <summary>
/// Skald.Pack.slnf, the solution filter README's install section packs (<c>dotnet pack Skald.Pack.slnf</c>: the shipped
/// projects alone, not the test projects <c>dotnet pack Skald.slnx</c> builds too), lists exactly the projects of
/// Skald.slnx that are packable, read from their csproj files and Directory.Build.props (which makes every *.Tests
/// project unpackable). Nothing is packed here.
/// </summary>
public sealed class PackFilterTests
{
    private static readonly string Root = TestPaths.RepoRoot;

    // Whether the project packs: no <IsPackable>false</IsPackable> of its own, and not a *.Tests project.
    private static bool Packable(string project)
    {
        var csproj = XDocument.Load(Path.Combine(Root, project));
        bool off = csproj.Descendants("IsPackable").Any(e => string.Equals(e.Value.Trim(), "false", StringComparison.OrdinalIgnoreCase));
        return !off && !Path.GetFileNameWithoutExtension(project).EndsWith(".Tests", StringComparison.Ordinal);
    }

    [Fact]
    public void TheFilterListsExactlyThePackableProjects()
    {
        var props = XDocument.Load(Path.Combine(Root, "Directory.Build.props"));
        var testsOff = Assert.Single(props.Descendants("IsPackable"));
        Assert.Equal("false", testsOff.Value);
        Assert.Equal("$(MSBuildProjectName.EndsWith('.Tests'))", testsOff.Parent!.Attribute("Condition")?.Value); // the rule Packable reads

        string[] all = [.. XDocument.Load(Path.Combine(Root, "Skald.slnx")).Descendants("Project").Select(p => p.Attribute("Path")!.Value)];
        Assert.Contains(all, p => !Packable(p)); // (the solution has projects that do not pack: the filter leaves them out)
        using var filter = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "Skald.Pack.slnf")));
        var solution = filter.RootElement.GetProperty("solution");
        Assert.Equal("Skald.slnx", solution.GetProperty("path").GetString());
        string[] listed = [.. solution.GetProperty("projects").EnumerateArray().Select(p => p.GetString()!.Replace('\\', '/'))];
        Assert.Equal(all.Where(Packable).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.Contains("src/Skald.Cli/Skald.Cli.csproj", listed); // the tool
    }
}
