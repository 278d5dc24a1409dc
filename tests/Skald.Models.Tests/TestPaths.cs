namespace Skald.Models.Tests;

/// <summary>Locates the repository (the folder holding Skald.slnx) and scratch folders.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = Skald.Tests.Repository.Root;

    public static string Fixtures => Path.Combine(RepoRoot, "fixtures");

    public static string FixtureModel(string name) => Path.Combine(Fixtures, "models", name);

    public static string NewTempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
