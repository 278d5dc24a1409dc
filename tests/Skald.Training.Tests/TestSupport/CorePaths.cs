namespace Skald.Training.Tests.TestSupport;

/// <summary>Locates the repository (the folder holding Skald.slnx) and its fixtures.</summary>
internal static class CorePaths
{
    public static string RepoRoot { get; } = Skald.Tests.Repository.Root;

    public static string FixtureModel(string name) => Path.Combine(RepoRoot, "fixtures", "models", name);

    public static string TrainingFixture(string name) => Path.Combine(RepoRoot, "fixtures", "training", name);
}
