using Skald.Cli.IO;

namespace Skald.Cli.Quickstart;

/// <summary>
/// Where the quickstart finds the files it ships with: the sample data (<c>samples/</c>) and its stage configs
/// (<c>configs/quickstart/</c>). A clone has them at its root; the installed dotnet tool carries a copy of the same
/// folders beside skald's assembly (Skald.Cli.csproj packs them). One rule for both: the folder under the working
/// directory when it holds the quickstart's file (<see cref="SamplesMarker"/>, <see cref="ConfigsMarker"/>), else the
/// tool's copy; a folder of that name with other things in it (a project's own <c>samples/</c>) is not the quickstart's.
/// </summary>
internal static class QuickstartFiles
{
    /// <summary>The sample data folder, relative to the working directory or to <see cref="ToolFolder"/>.</summary>
    public const string Samples = "samples";

    /// <summary>The file that makes a <see cref="Samples"/> folder the quickstart's.</summary>
    public const string SamplesMarker = "quickstart-suite.json";

    /// <summary>The stage configs folder, relative to the working directory or to <see cref="ToolFolder"/>.</summary>
    public static readonly string Configs = Path.Combine("configs", "quickstart");

    /// <summary>The file that makes a <see cref="Configs"/> folder the quickstart's.</summary>
    public const string ConfigsMarker = "simcse.yaml";

    /// <summary>The folder of skald's assembly, which holds the tool's copies.</summary>
    public static string ToolFolder => AppContext.BaseDirectory;

    /// <summary>
    /// <paramref name="relative"/> (a folder) under the working directory when it holds <paramref name="marker"/>, else
    /// its copy under <see cref="ToolFolder"/> when that does; neither is an <see cref="InputException"/> naming both
    /// places, what the folder holds (<paramref name="what"/>) and the way out (<paramref name="hint"/>).
    /// </summary>
    public static string Find(string relative, string marker, string what, string hint) => Find(relative, marker, what, hint, "", ToolFolder);

    /// <summary>As <see cref="Find(string, string, string, string)"/> from <paramref name="workingDirectory"/> ("" for the process's) with the tool in <paramref name="toolFolder"/>.</summary>
    internal static string Find(string relative, string marker, string what, string hint, string workingDirectory, string toolFolder)
    {
        string here = Path.Combine(workingDirectory, relative);
        if (File.Exists(Path.Combine(here, marker))) return here;
        string tool = Path.Combine(toolFolder, relative);
        if (File.Exists(Path.Combine(tool, marker))) return tool;
        throw new InputException($"{relative}: {what} not found, neither in the working directory ({Path.GetFullPath(here)}) "
            + $"nor beside skald ({tool}); {hint}");
    }
}
