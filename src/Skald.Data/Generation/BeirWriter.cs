using System.Globalization;
using Skald.Data.IO;
using Skald.Retrieval.Models;

namespace Skald.Data.Generation;

/// <summary>
/// Writes a <see cref="GeneratedSet"/> as a BEIR folder that <c>RetrievalData.Load</c> reads — <c>corpus.jsonl</c>
/// (<c>_id</c>, <c>title</c>, <c>text</c>), <c>queries.jsonl</c> (<c>_id</c>, <c>text</c>), <c>qrels/train.tsv</c>
/// (header <c>query-id corpus-id score</c>, score 1) and, when a test share is held out, <c>qrels/test.tsv</c> — plus
/// <c>pairs.jsonl</c> (<c>{"anchor", "positive"}</c>, the training queries only, each positive its passage's title and
/// text joined as the index and the evaluation join them, <see cref="CorpusDocument.FullText"/>) for <c>skald train</c>, and with whole
/// documents held out <see cref="TrainCorpus"/>. The folder appears whole or not at all.
/// </summary>
public static class BeirWriter
{
    /// <summary>The file whose presence marks a folder as this writer's output.</summary>
    public const string Marker = "pairs.jsonl";

    /// <summary>
    /// The passages training may see when whole documents are held out (<see cref="HeldOutSplit.TrainingPassages"/>),
    /// in corpus.jsonl's form: what <c>mine-negatives --corpus</c> should read then, since corpus.jsonl holds the
    /// held-out documents too (the test needs them). Written only by <see cref="HeldOutUnit.Documents"/> with a test split.
    /// </summary>
    public const string TrainCorpus = "train-corpus.jsonl";

    /// <summary>Writes <paramref name="set"/> to <paramref name="folder"/>; returns (train, test) query counts.</summary>
    /// <param name="set">The generated data.</param>
    /// <param name="folder">Output folder (created, or replaced when it holds an earlier output).</param>
    /// <param name="testFraction">Share of queries held out in qrels/test.tsv (0: none).</param>
    /// <param name="seed">Seed of the held-out choice.</param>
    /// <param name="heldOut">What the test share is made of: single queries (default) or whole documents (<see cref="HeldOutSplit"/>).</param>
    /// <param name="alongside">
    /// Writes further files into the folder being built (its path the argument) before it is moved into place, so that
    /// they appear with it, whole, or not at all (a pipeline's passages.txt and suite.json): a run killed while they are
    /// written leaves no folder that looks complete.
    /// </param>
    public static (int Train, int Test) Write(GeneratedSet set, string folder, double testFraction = 0, int seed = 42, HeldOutUnit heldOut = HeldOutUnit.Queries,
        Action<string>? alongside = null)
    {
        if (set.Queries.Count == 0) throw new DataException("no query survived generation and filtering; nothing written (add documents, or lower the filters)");
        var test = HeldOutSplit.Choose(set, testFraction, seed, heldOut);
        var docs = set.Corpus.ToDictionary(d => d.Id, d => d.FullText, StringComparer.Ordinal); // "title text", as searched
        var train = set.Queries.Where((_, i) => !test.Contains(i)).ToList();
        var held = set.Queries.Where((_, i) => test.Contains(i)).ToList();
        AtomicOutput.WriteFolder(folder, Marker, dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, "qrels"));
            WriteCorpus(Path.Combine(dir, "corpus.jsonl"), set.Corpus);
            if (heldOut == HeldOutUnit.Documents && held.Count > 0) WriteCorpus(Path.Combine(dir, TrainCorpus), HeldOutSplit.TrainingPassages(set, test));
            using (var fs = File.Create(Path.Combine(dir, "queries.jsonl")))
                JsonLines.Write(fs, set.Queries, (w, q) => { w.WriteString("_id", q.Id); w.WriteString("text", q.Text); w.WriteString("kind", q.Kind); });
            WriteQrels(Path.Combine(dir, "qrels", "train.tsv"), train);
            if (held.Count > 0) WriteQrels(Path.Combine(dir, "qrels", "test.tsv"), held);
            using (var fs = File.Create(Path.Combine(dir, Marker)))
                JsonLines.Write(fs, train, (w, q) => { w.WriteString("anchor", q.Text); w.WriteString("positive", docs[q.DocumentId]); });
            alongside?.Invoke(dir);
        });
        return (train.Count, held.Count);
    }

    private static void WriteCorpus(string path, IReadOnlyList<CorpusDocument> passages)
    {
        using var fs = File.Create(path);
        JsonLines.Write(fs, passages, (w, d) => { w.WriteString("_id", d.Id); w.WriteString("title", d.Title); w.WriteString("text", d.Text); });
    }

    private static void WriteQrels(string path, IEnumerable<GeneratedQuery> queries) =>
        File.WriteAllLines(path, ["query-id\tcorpus-id\tscore", .. queries.Select(q => string.Create(CultureInfo.InvariantCulture, $"{q.Id}\t{q.DocumentId}\t1"))]);
}
