namespace Skald.Evaluation.Tests;

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

/// <summary>The shared evaluation data (../shared/data), when present.</summary>
internal static class SharedData
{
    public static string? Root
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("SKALD_SHARED_DATA");
            foreach (var c in new[] { env, Path.Combine(TestPaths.RepoRoot, "..", "shared", "data"), "/work/shared/data" })
            {
                if (c is not null && Directory.Exists(Path.Combine(c, "retrieval"))) return Path.GetFullPath(c);
            }
            return null;
        }
    }
}
