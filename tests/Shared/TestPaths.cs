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

    /// <summary>Copies every file under <paramref name="from"/> to the same place under <paramref name="to"/>; returns <paramref name="to"/>.</summary>
    public static string CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        return to;
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="name"/> in <paramref name="dir"/>; returns its path.</summary>
    public static string WriteFile(string dir, string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A scratch copy of fixture model <paramref name="name"/> (a test may change or damage it).</summary>
    public static string CopyOfFixtureModel(string name) => CopyFolder(FixtureModel(name), Path.Combine(NewTempDir(), name));

    /// <summary>
    /// A scratch copy of fixture model <paramref name="name"/> whose config_sentence_transformers.json names
    /// <paramref name="similarity"/> (euclidean, manhattan, dot) where it named cosine.
    /// </summary>
    public static string CopyOfFixtureModel(string name, string similarity)
    {
        string dir = CopyOfFixtureModel(name), config = Path.Combine(dir, "config_sentence_transformers.json");
        string text = File.ReadAllText(config), changed = text.Replace("\"similarity_fn_name\": \"cosine\"", $"\"similarity_fn_name\": \"{similarity}\"", StringComparison.Ordinal);
        if (changed == text) throw new InvalidOperationException($"{config} names no cosine similarity to change");
        File.WriteAllText(config, changed);
        return dir;
    }
}
