namespace Skald.Tokenizers.Tests;

/// <summary>Locates the repository root (the directory holding Skald.slnx) and the fixtures.</summary>
internal static class FixturePaths
{
    /// <summary>The repository root.</summary>
    public static string RepoRoot => Skald.Tests.Repository.Root;

    /// <summary>fixtures/tokenizers.</summary>
    public static string TokenizerFixtures => Path.Combine(RepoRoot, "fixtures", "tokenizers");

    /// <summary>Path of a fixture tokenizer.json.</summary>
    public static string TokenizerJson(string name) => Path.Combine(TokenizerFixtures, name, "tokenizer.json");
}
