namespace Skald.Tokenizers.Tests;

/// <summary>Locates the repository root (the directory holding Skald.slnx) and the fixtures.</summary>
internal static class FixturePaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Skald.slnx"))) dir = dir.Parent;
        if (dir is null)
        {
            // Separate build trees (SKALD_BUILD_ROOT) live outside the repo: fall back to the source location.
            dir = new DirectoryInfo(Path.GetDirectoryName(ThisFile())!);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Skald.slnx"))) dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Skald.slnx)");
    });

    private static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

    /// <summary>The repository root.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>fixtures/tokenizers.</summary>
    public static string TokenizerFixtures => Path.Combine(RepoRoot, "fixtures", "tokenizers");

    /// <summary>Path of a fixture tokenizer.json.</summary>
    public static string TokenizerJson(string name) => Path.Combine(TokenizerFixtures, name, "tokenizer.json");
}
