namespace Skald.Training.Tests.TestSupport;

/// <summary>Locates the repository (the folder holding Skald.slnx), fixtures, ../shared/data and scratch folders.</summary>
internal static class InfraPaths
{
    public static string RepoRoot { get; } = Skald.Tests.Repository.Root;

    public static string FixtureModel(string name) => Path.Combine(RepoRoot, "fixtures", "models", name);

    /// <summary>The team's shared data folder (../shared/data next to the repository, or SKALD_SHARED_DATA), or null.</summary>
    public static string? SharedData
    {
        get
        {
            foreach (var c in new[] { Environment.GetEnvironmentVariable("SKALD_SHARED_DATA"), Path.Combine(RepoRoot, "..", "shared", "data") })
            {
                if (!string.IsNullOrEmpty(c) && Directory.Exists(c)) return Path.GetFullPath(c);
            }
            return null;
        }
    }

    public static string NewTempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", "infra-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static string WriteFile(string dir, string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
