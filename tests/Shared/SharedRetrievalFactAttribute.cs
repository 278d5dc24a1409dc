namespace Skald.Tests;

/// <summary>
/// A fact that needs the shared BEIR retrieval sets (&lt;repo&gt;/../shared/data/retrieval/NAME, each with corpus.jsonl,
/// queries.jsonl and qrels); skipped, with the folder named, where one of <see cref="Names"/> is missing.
/// </summary>
internal sealed class SharedRetrievalFactAttribute : FactAttribute
{
    /// <summary>The shared retrieval folder.</summary>
    public static string Folder => Path.Combine(Repository.Root, "..", "shared", "data", "retrieval");

    /// <summary>Sets the skip reason when a set named in <paramref name="names"/> is absent.</summary>
    public SharedRetrievalFactAttribute(params string[] names)
    {
        Names = names;
        if (names.FirstOrDefault(n => !File.Exists(Path.Combine(Folder, n, "corpus.jsonl"))) is { } missing)
            Skip = $"the shared retrieval set {missing} is not present ({Path.GetFullPath(Path.Combine(Folder, missing))}/corpus.jsonl)";
    }

    /// <summary>The sets the test reads.</summary>
    public IReadOnlyList<string> Names { get; }
}
