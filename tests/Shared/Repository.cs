namespace Skald.Tests;

/// <summary>
/// The repository root (the folder holding Skald.slnx), shared by every test project (linked in by
/// Directory.Build.props). The build output normally sits under the repository; when SKALD_BUILD_ROOT moves it
/// elsewhere, the location of this source file is used instead.
/// </summary>
internal static class Repository
{
    public static string Root { get; } =
        Above(AppContext.BaseDirectory) ?? Above(Path.GetDirectoryName(ThisFile())!)
        ?? throw new InvalidOperationException("Skald.slnx not found above " + AppContext.BaseDirectory);

    private static string? Above(string start)
    {
        var dir = new DirectoryInfo(start);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Skald.slnx"))) dir = dir.Parent;
        return dir?.FullName;
    }

    private static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;
}
