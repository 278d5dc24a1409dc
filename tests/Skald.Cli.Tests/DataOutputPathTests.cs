namespace Skald.Cli.Tests;

/// <summary>
/// What the data verbs write never lands in what they read: a journal inside a <c>--documents</c> folder (read as a
/// document on the next run), an output folder that holds a document (replaced with it) or a translation written over
/// its rows is one line; a pipeline's output folder inside the documents is skipped as a whole.
/// </summary>
public sealed class DataOutputPathTests
{
    [Fact]
    public void AJournalInsideADocumentsFolderIsOneLine()
    {
        // it was written there and, a .jsonl, read as a document by the next run: "JOURNAL:1: no string column \"text\""
        string docs = SampleDocuments.Copy(), output = Path.Combine(Path.GetDirectoryName(docs)!, "data");
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good);
        string[] run = ["data", "generate", "--documents", docs, "--output", output, "--generator", "llm", "--llm", server.Url, "--llm-model", "m"];
        string journal = Path.Combine(docs, "sub", "run.journal.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(journal)!);
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. run, "--journal", journal]), 2,
            $"--journal {journal} is inside the input {docs}; write it outside the folder being read");
        // a link to the documents is the documents
        string link = Path.Combine(Path.GetDirectoryName(docs)!, "link");
        Directory.CreateSymbolicLink(link, docs);
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. run, "--journal", Path.Combine(link, "run.journal.jsonl")]), 2, "is inside the input " + docs);
        Assert.Empty(server.Requests);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void TheDefaultJournalOfAnOutputInsideTheDocumentsIsOneLine()
    {
        // --output docs/data is not read (it is the output folder), but its journal docs/data.journal.jsonl beside it was
        string docs = SampleDocuments.Copy(), output = Path.Combine(docs, "data");
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good);
        string[] run = ["data", "generate", "--documents", docs, "--output", output, "--generator", "llm", "--llm", server.Url, "--llm-model", "m"];
        SkaldProcess.AssertUserError(InProcessSkald.Capture(run), 2,
            $"--journal (default: beside --output) {output}.journal.jsonl is inside the input {docs}; write it outside the folder being read");
        Assert.Empty(server.Requests);
        string journal = Path.Combine(Path.GetDirectoryName(docs)!, "run.journal.jsonl");
        var r = InProcessSkald.Capture([.. run, "--journal", journal]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(journal));
        r = InProcessSkald.Capture([.. run, "--journal", journal]); // the output folder inside the documents is still not read
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"skipped {output}: the output folder", r.Stdout);
    }

    [Fact]
    public void APipelineOutputInsideTheDocumentsIsNotReadOnTheNextRun()
    {
        // only the generate stage's own folder was skipped: the next run read OUTPUT/neg.jsonl, the mined triplets, as
        // a document ("neg.jsonl:1: no string column \"text\"")
        string docs = SampleDocuments.Copy(), output = Path.Combine(docs, "run"), config = Path.Combine(Path.GetDirectoryName(docs)!, "pipeline.yaml");
        File.WriteAllText(config, $$"""
            output: {{output}}
            stages:
              - {name: gen, type: generate, documents: ['{{docs}}'], chunk_tokens: 60}
              - {name: neg, type: mine_negatives, data: gen/pairs.jsonl, model: bm25, num_negatives: 1}
            """);
        var r = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string pairs = File.ReadAllText(Path.Combine(output, "gen", "pairs.jsonl"));
        // Nor is it the documents' content for the stage marks: what the first run wrote there keeps the stage.
        r = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("gen (generate): done by an earlier run with the same settings, kept", r.Stderr);
        // Run again, the stage reads the documents without the output folder.
        r = InProcessSkald.Capture("pipeline", "--config", config, "--force");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"skipped {output}: the output folder", r.Stderr);
        Assert.Equal(pairs, File.ReadAllText(Path.Combine(output, "gen", "pairs.jsonl")));
    }

    [Fact]
    public void AnOutputFolderHoldingADocumentIsOneLine()
    {
        // the earlier run's corpus.jsonl given as documents: the new set replaced the folder and, with it, the input
        string dir = TestPaths.NewTempDir(), gen = Path.Combine(dir, "gen"), corpus = Path.Combine(gen, "corpus.jsonl");
        var r = InProcessSkald.Capture("data", "generate", "--documents", SampleDocuments.Folder, "--output", gen, "--chunk-tokens", "60");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string before = File.ReadAllText(corpus);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "generate", "--documents", corpus, "--output", gen), 2,
            $"--output {gen} holds the input {corpus}; writing it would replace what is being read");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "generate", "--documents", gen, "--output", gen), 2, $"--output {gen} is the input {gen}");
        Assert.Equal(before, File.ReadAllText(corpus));

        // skald index build: an index rebuilt from its own records.jsonl
        string index = Path.Combine(dir, "idx"), records = Path.Combine(index, "records.jsonl");
        string[] build = ["index", "build", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--output", index];
        r = InProcessSkald.Capture([.. build, "--documents", corpus]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        before = File.ReadAllText(records);
        SkaldProcess.AssertUserError(InProcessSkald.Capture([.. build, "--documents", records]), 2, $"--output {index} holds the input {records}");
        Assert.Equal(before, File.ReadAllText(records));
    }

    [Fact]
    public void ATranslationWrittenOverItsInputIsOneLine()
    {
        // the translated rows replaced the rows they were made from
        string dir = TestPaths.NewTempDir(), data = Path.Combine(dir, "rows.jsonl");
        File.WriteAllText(data, "{\"text\": \"Toget går klokka sju.\"}\n");
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, answer: p => p.ToUpperInvariant());
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "translate", "--data", data, "--output", Path.Combine(dir, ".", "rows.jsonl"), "--from", "nb",
            "--to", "nn", "--engine", "llm", "--llm", server.Url, "--llm-model", "m"), 2, $"--output {Path.Combine(dir, ".", "rows.jsonl")} is the input {data}");
        Assert.Equal("{\"text\": \"Toget går klokka sju.\"}\n", File.ReadAllText(data));
        Assert.Empty(server.Requests);
    }
}
