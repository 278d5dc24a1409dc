using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald data generate --held-out queries|documents</c> (and a pipeline generate stage's <c>held_out</c> key) on the
/// bundled sample documents: queries stays the default and its output unchanged; documents keeps every document on one side.
/// </summary>
public sealed class DataHeldOutCommandTests
{
    private static string Documents => SampleDocuments.Folder;

    private static readonly string[] Files = ["corpus.jsonl", "queries.jsonl", "pairs.jsonl", "qrels/train.tsv", "qrels/test.tsv"];

    /// <summary>The source document (<c>d3</c> of chunk <c>d3-c1</c>) of each positive in a qrels split.</summary>
    private static string[] DocumentsOf(string folder, string split) =>
        [.. File.ReadAllLines(Path.Combine(folder, "qrels", split + ".tsv")).Skip(1).Select(l => l.Split('\t')[1].Split('-')[0])];

    /// <summary>A corpus.jsonl line's passage as the index, pairs.jsonl and mine-negatives --corpus read it: "title text".</summary>
    private static string Passage(JsonElement c) =>
        c.GetProperty("title").GetString() is { Length: > 0 } title ? $"{title} {c.GetProperty("text").GetString()}" : c.GetProperty("text").GetString()!;

    private static string Generate(string dir, string name, params string[] extra)
    {
        string output = Path.Combine(dir, name);
        var r = InProcessSkald.Capture(["data", "generate", "--documents", Documents, "--output", output, "--chunk-tokens", "60", "--test-fraction", "0.25", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Stdout;
    }

    [Fact]
    public void DocumentsModeKeepsEveryDocumentOnOneSideAndQueriesStaysTheDefault()
    {
        string dir = TestPaths.NewTempDir();
        Generate(dir, "default");
        Generate(dir, "queries", "--held-out", "queries");
        string stdout = Generate(dir, "documents", "--held-out", "documents");
        foreach (string f in Files)
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "default", f)), File.ReadAllBytes(Path.Combine(dir, "queries", f)));
        // Per query (the default), a held-out query's document is trained on too: new questions about known documents.
        Assert.NotEmpty(DocumentsOf(Path.Combine(dir, "default"), "train").Intersect(DocumentsOf(Path.Combine(dir, "default"), "test")));

        string docs = Path.Combine(dir, "documents");
        var heldOut = DocumentsOf(docs, "test").ToHashSet();
        Assert.NotEmpty(heldOut);
        Assert.Empty(DocumentsOf(docs, "train").Intersect(heldOut));
        var heldTexts = File.ReadAllLines(Path.Combine(docs, "corpus.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(c => heldOut.Contains(c.GetProperty("_id").GetString()!.Split('-')[0])).Select(Passage).ToHashSet();
        Assert.DoesNotContain(File.ReadAllLines(Path.Combine(docs, "pairs.jsonl")),
            l => heldTexts.Contains(JsonDocument.Parse(l).RootElement.GetProperty("positive").GetString()!));
        Assert.Contains("held out with their whole documents (qrels/test.tsv), pairs.jsonl, train-corpus.jsonl (the training documents' passages: mine negatives from it", stdout);
        Assert.False(File.Exists(Path.Combine(dir, "default", "train-corpus.jsonl")));
        // Negatives mined from corpus.jsonl would bring held-out documents into training; from train-corpus.jsonl they do not.
        string[] Negatives(string corpus)
        {
            string mined = Path.Combine(dir, Path.GetFileNameWithoutExtension(corpus) + "-mined.jsonl");
            var m = InProcessSkald.Capture("data", "mine-negatives", "--data", Path.Combine(docs, "pairs.jsonl"), "--corpus", Path.Combine(docs, corpus), "--model", "bm25",
                "--num-negatives", "3", "--output", mined);
            Assert.True(m.ExitCode == 0, m.Stderr);
            return [.. File.ReadAllLines(mined).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("negative").GetString()!)];
        }
        Assert.Contains(Negatives("corpus.jsonl"), heldTexts.Contains);
        var fromTraining = Negatives("train-corpus.jsonl");
        Assert.NotEmpty(fromTraining);
        Assert.DoesNotContain(fromTraining, heldTexts.Contains);
        // The same split from the same documents and seed.
        Generate(dir, "again", "--held-out", "documents");
        foreach (string f in Files)
            Assert.Equal(File.ReadAllBytes(Path.Combine(docs, f)), File.ReadAllBytes(Path.Combine(dir, "again", f)));
    }

    [Fact]
    public void HeldOutDocumentsWithoutATestFractionIsAUsageErrorNotASilentNoOp()
    {
        string output = Path.Combine(TestPaths.NewTempDir(), "out");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--held-out", "documents"), 2,
            "option --held-out documents holds out a share of the documents: give --test-fraction above 0 too");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void AnUnknownHeldOutUnitIsAUsageErrorNamingTheOption()
    {
        string output = Path.Combine(TestPaths.NewTempDir(), "out");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--held-out", "passages"), 2,
            "option --held-out must be one of queries, documents, got 'passages'");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void APipelineGenerateStageWithHeldOutDocumentsKeepsThemOutOfEveryTrainingFile()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "run"), config = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(config, $$"""
            output: {{output}}
            stages:
              - {name: gen, type: generate, documents: ['{{Documents}}'], chunk_tokens: 60, test_fraction: 0.25, held_out: documents}
            """);
        var r = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string gen = Path.Combine(output, "gen");
        Assert.NotEmpty(DocumentsOf(gen, "test"));
        Assert.Empty(DocumentsOf(gen, "train").Intersect(DocumentsOf(gen, "test")));
        // The tokenizer's passages.txt and the negatives' train-corpus.jsonl leave the held-out documents out too.
        var heldOut = DocumentsOf(gen, "test").ToHashSet();
        var heldTexts = File.ReadAllLines(Path.Combine(gen, "corpus.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(c => heldOut.Contains(c.GetProperty("_id").GetString()!.Split('-')[0])).Select(Passage).ToList();
        Assert.NotEmpty(heldTexts);
        Assert.DoesNotContain(File.ReadAllLines(Path.Combine(gen, "passages.txt")), heldTexts.Contains);
        var trainCorpus = File.ReadAllLines(Path.Combine(gen, "train-corpus.jsonl")).Select(l => Passage(JsonDocument.Parse(l).RootElement)).ToList();
        Assert.NotEmpty(trainCorpus);
        Assert.DoesNotContain(trainCorpus, heldTexts.Contains);

        // Held out by query (the default), train-corpus.jsonl is every passage: corpus.jsonl.
        File.WriteAllText(config, File.ReadAllText(config).Replace(", held_out: documents", "", StringComparison.Ordinal));
        Assert.Equal(0, InProcessSkald.Capture("pipeline", "--config", config).ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(gen, "corpus.jsonl")), File.ReadAllText(Path.Combine(gen, "train-corpus.jsonl")));

        File.WriteAllText(config, File.ReadAllText(config).Replace("test_fraction: 0.25", "test_fraction: 0.25, held_out: files", StringComparison.Ordinal));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("pipeline", "--config", config), 1, "gen.held_out must be one of queries, documents, got 'files'");

        // Documents held out of a test share of nothing is a mistake, not a silent no-op.
        File.WriteAllText(config, File.ReadAllText(config).Replace("test_fraction: 0.25, held_out: files", "test_fraction: 0, held_out: documents", StringComparison.Ordinal));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("pipeline", "--config", config), 1, "held_out: documents holds out a share of the documents: test_fraction must be above 0");
    }
}
