namespace Skald.Training.Tests.Core;

/// <summary>Locates the repository (the folder holding Skald.slnx) and its fixtures.</summary>
internal static class CorePaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string FixtureModel(string name) => Path.Combine(RepoRoot, "fixtures", "models", name);

    public static string TrainingFixture(string name) => Path.Combine(RepoRoot, "fixtures", "training", name);

    private static string FindRoot() =>
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
