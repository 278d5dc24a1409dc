using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// Searches open an index while another process writes it (<c>skald index add</c> run again and again, each write a
/// new folder swapped in by two renames): every open must see one write whole. Before, <c>SearchIndex.Open</c> read
/// the manifest, records and vectors by their paths one after another, so an open across a swap could pair one write's
/// records with another's vectors (the same row count: nothing noticed) or fail on a missing or mismatched file; it now
/// reads again when the index's state changed under it (<c>IndexGeneration</c>) or a swap was under way.
/// </summary>
public sealed class IndexSearchWhileWritingTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    private const string First = "Kantina serverer varm lunsj fra elleve til ett hver dag.";

    private const string Second = "Sykkelboden bak kontoret er låst etter klokken seksten.";

    /// <summary>Each live row's id and text, with its vector.</summary>
    private static List<(string Key, float[] Vector)> Rows(SearchIndex index) =>
        [.. Enumerable.Range(0, index.Records.Count).Where(r => !index.Deleted.Contains(r))
            .Select(r => (index.Records[r].Id + "\n" + index.Records[r].Text, index.Vector(r).ToArray()))];

    private static void Add(string index, string file, string text, bool inProcess)
    {
        File.WriteAllText(file, text);
        string[] args = ["index", "add", "--index", index, "--documents", file, "-q"];
        var r = inProcess ? InProcessSkald.Capture(args) : SkaldProcess.Run(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    [Fact]
    public void AnOpenWhileAnotherProcessAddsSeesOneWriteWhole()
    {
        string docs = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(docs);
        File.WriteAllText(Path.Combine(docs, "ferie.txt"), "Ferien planlegges i mars, og søknaden sendes til lederen din.");
        string file = Path.Combine(docs, "dag.txt");
        File.WriteAllText(file, First);
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var built = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", index, "-q");
        Assert.True(built.ExitCode == 0, built.Stderr);
        // every row either write holds, with its vector: the first text's index, then the second's (the same row count)
        var known = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (string text in new[] { Second, First })
        {
            using (var open = SearchIndex.Open(index))
                foreach (var (key, vector) in Rows(open)) known[key] = vector;
            Add(index, file, text, inProcess: true);
        }
        Assert.Equal(3, known.Count); // ferie.txt's row, and dag.txt's in each of its two texts

        var failures = new List<string>();
        int opens = 0;
        Exception? writing = null;
        var writer = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < 8; i++) Add(index, file, i % 2 == 0 ? Second : First, inProcess: false); // another process writes
            }
            catch (Exception e)
            {
                writing = e;
            }
        });
        writer.Start();
        while (writer.IsAlive || opens == 0)
        {
            try
            {
                using var open = SearchIndex.Open(index);
                opens++;
                foreach (var (key, vector) in Rows(open))
                {
                    if (!known.TryGetValue(key, out var expected)) failures.Add($"a row no write made: {key}");
                    else if (expected.Zip(vector, (a, b) => Math.Abs(a - b)).Max() > 1e-4f) failures.Add($"a row with another write's vector: {key}");
                }
            }
            catch (Exception e) when (e is IOException or Skald.Retrieval.EvaluationException)
            {
                failures.Add($"{e.GetType().Name}: {e.Message}");
            }
        }
        writer.Join();
        Assert.Null(writing);
        Assert.True(failures.Count == 0, $"{failures.Count} of {opens} opens: {string.Join(" | ", failures.Distinct().Take(5))}");
        Assert.True(opens > 8, $"{opens} opens");
    }
}
