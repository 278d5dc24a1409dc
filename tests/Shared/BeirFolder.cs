namespace Skald.Tests;

/// <summary>Writes small BEIR retrieval folders for tests (linked into every test project by Directory.Build.props).</summary>
internal static class BeirFolder
{
    /// <summary>A new temp folder with corpus.jsonl, queries.jsonl and, unless null, qrels/test.tsv.</summary>
    public static string Write(string corpus, string queries, string? qrels)
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "corpus.jsonl"), corpus);
        File.WriteAllText(Path.Combine(dir, "queries.jsonl"), queries);
        if (qrels is not null)
        {
            Directory.CreateDirectory(Path.Combine(dir, "qrels"));
            File.WriteAllText(Path.Combine(dir, "qrels", "test.tsv"), qrels);
        }
        return dir;
    }
}
