namespace Skald.Evaluation.Tests;

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
