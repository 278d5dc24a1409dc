namespace Skald.Cli.Tests;

/// <summary>Locates the repository (the folder holding Skald.slnx) and scratch folders.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Fixtures => Path.Combine(RepoRoot, "fixtures");

    public static string FixtureModel(string name) => Path.Combine(Fixtures, "models", name);

    public static string NewTempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Skald.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Skald.slnx not found above " + AppContext.BaseDirectory);
    }
}
