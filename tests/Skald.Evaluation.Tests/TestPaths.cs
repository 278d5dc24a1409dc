namespace Skald.Evaluation.Tests;

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
        // The build output sits under the repo, unless SKALD_BUILD_ROOT moved it: then use this source file's place.
        return Above(AppContext.BaseDirectory) ?? Above(Path.GetDirectoryName(ThisFile())!)
            ?? throw new InvalidOperationException("Skald.slnx not found above " + AppContext.BaseDirectory);
    }

    private static string? Above(string start)
    {
        var dir = new DirectoryInfo(start);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Skald.slnx"))) dir = dir.Parent;
        return dir?.FullName;
    }

    private static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;
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
