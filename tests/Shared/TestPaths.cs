namespace Skald.Tests;

/// <summary>Fixture paths and scratch folders for every test project (linked in by Directory.Build.props).</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = Repository.Root;

    public static string Fixtures => Path.Combine(RepoRoot, "fixtures");

    public static string FixtureModel(string name) => Path.Combine(Fixtures, "models", name);

    public static string NewTempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
