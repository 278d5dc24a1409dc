using Skald.Cli.IO;

namespace Skald.Cli.Quickstart;

/// <summary>
/// Where the quickstart finds the files it ships with: the sample data (<c>samples/</c>) and its stage configs
/// (<c>configs/quickstart/</c>). A clone has them at its root; the installed dotnet tool carries a copy of the same
/// folders beside skald's assembly (Skald.Cli.csproj packs them). One rule for both: the folder under the working
/// directory when it exists, else the tool's copy.
/// </summary>
internal static class QuickstartFiles
{
    /// <summary>The sample data folder, relative to the working directory or to <see cref="ToolFolder"/>.</summary>
    public const string Samples = "samples";

    /// <summary>The stage configs folder, relative to the working directory or to <see cref="ToolFolder"/>.</summary>
    public static readonly string Configs = Path.Combine("configs", "quickstart");

    /// <summary>The folder of skald's assembly, which holds the tool's copies.</summary>
    public static string ToolFolder => AppContext.BaseDirectory;

    /// <summary>
    /// <paramref name="relative"/> (a folder) under the working directory when it exists, else its copy under
    /// <see cref="ToolFolder"/> when that exists; neither is an <see cref="InputException"/> naming both places, what the
    /// folder holds (<paramref name="what"/>) and the way out (<paramref name="hint"/>).
    /// </summary>
    public static string Find(string relative, string what, string hint)
    {
        if (Directory.Exists(relative)) return relative;
        string tool = Path.Combine(ToolFolder, relative);
        if (Directory.Exists(tool)) return tool;
        throw new InputException($"{relative}: {what} not found, neither in the working directory ({Path.GetFullPath(relative)}) "
            + $"nor beside skald ({tool}); {hint}");
    }
}
