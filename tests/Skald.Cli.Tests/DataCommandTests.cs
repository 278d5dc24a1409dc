using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary><c>skald data generate / mine-negatives / inspect</c> on the bundled sample documents (samples/documents).</summary>
public sealed class DataCommandTests
{
    private static string Documents => SampleDocuments.Folder;

    [Fact]
    public void GenerateIctWritesABeirFolderThatTheRetrievalReaderLoadsAndPairsForTraining()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "data");
        var r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--chunk-tokens", "60", "--test-fraction", "0.2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("6 documents", r.Stdout);
        var train = Skald.Retrieval.Data.RetrievalData.Load(output, "train");
        var test = Skald.Retrieval.Data.RetrievalData.Load(output, "test");
        Assert.True(train.Queries.Count >= 15, $"{train.Queries.Count} training queries");
        Assert.NotEmpty(test.Queries);
        Assert.Empty(train.Queries.Select(q => q.Id).Intersect(test.Queries.Select(q => q.Id)));
        var pairs = File.ReadAllLines(Path.Combine(output, "pairs.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(train.Queries.Count, pairs.Count);
        foreach (var p in pairs)
        {
            string a = p.GetProperty("anchor").GetString()!, pos = p.GetProperty("positive").GetString()!;
            Assert.DoesNotContain(a, pos); // the query sentence was taken out of its passage
        }
        Assert.Contains(File.ReadAllLines(Path.Combine(output, "queries.jsonl")).Select(l => JsonDocument.Parse(l).RootElement), // a heading → section pair
            q => q.GetProperty("text").GetString() == "Bestilling av bønner" && q.GetProperty("kind").GetString() == "heading");
        // readable UTF-8: the sentence is in its passage or, taken out of it, a query
        Assert.Contains("Kantinen har åbent", File.ReadAllText(Path.Combine(output, "corpus.jsonl")) + File.ReadAllText(Path.Combine(output, "queries.jsonl")));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(dir), e => e.Contains(".tmp-"));
        // Same documents and seed, same files.
        string again = Path.Combine(dir, "again");
        Assert.Equal(0, InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", again, "--chunk-tokens", "60", "--test-fraction", "0.2").ExitCode);
        foreach (var f in new[] { "corpus.jsonl", "queries.jsonl", "pairs.jsonl", "qrels/train.tsv", "qrels/test.tsv" })
            Assert.Equal(File.ReadAllText(Path.Combine(output, f)), File.ReadAllText(Path.Combine(again, f)));
    }

    [Fact]
    public void AnOutputFolderInsideTheDocumentsIsNotReadOnTheNextRun()
    {
        // data generate --documents docs --output docs/data, twice: the second run reads the same six documents, not the
        // first run's corpus.jsonl and pairs.jsonl; skald index build does the same for an index inside its documents
        string docs = SampleDocuments.Copy(), output = Path.Combine(docs, "data");
        string[] args = ["data", "generate", "--documents", docs, "--output", output, "--chunk-tokens", "60"];
        var first = InProcessSkald.Capture(args);
        Assert.True(first.ExitCode == 0, first.Stderr);
        string corpus = File.ReadAllText(Path.Combine(output, "corpus.jsonl"));
        var second = InProcessSkald.Capture(args);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("6 documents", second.Stdout);
        Assert.Contains($"skipped {output}: the output folder", second.Stdout);
        Assert.Equal(corpus, File.ReadAllText(Path.Combine(output, "corpus.jsonl")));

        Directory.Delete(output, recursive: true);
        string index = Path.Combine(docs, "idx");
        string[] build = ["index", "build", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--documents", docs, "--output", index];
        var built = InProcessSkald.Capture(build);
        Assert.True(built.ExitCode == 0, built.Stderr);
        string records = File.ReadAllText(Path.Combine(index, "records.jsonl"));
        var rebuilt = InProcessSkald.Capture(build);
        Assert.True(rebuilt.ExitCode == 0, rebuilt.Stderr);
        Assert.Equal(records, File.ReadAllText(Path.Combine(index, "records.jsonl")));
    }

    [Fact]
    public void GenerateErrorsAreOneLineAndLeaveNoOutput()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out");
        string empty = Path.Combine(dir, "tom");
        Directory.CreateDirectory(empty);
        var r = InProcessSkald.Capture("data", "generate", "--documents", empty, "--output", output);
        SkaldProcess.AssertUserError(r, 1, "no documents found in");
        Assert.False(Directory.Exists(output));
        r = InProcessSkald.Capture("data", "generate", "--documents", Path.Combine(dir, "finnes-ikke"), "--output", output);
        SkaldProcess.AssertUserError(r, 1, "no such file or folder");
        string occupied = Path.Combine(dir, "opptatt");
        Directory.CreateDirectory(occupied);
        File.WriteAllText(Path.Combine(occupied, "viktig.txt"), "x");
        r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", occupied);
        SkaldProcess.AssertUserError(r, 1, "exists and is not an earlier output");
        Assert.Equal(["viktig.txt"], Directory.GetFileSystemEntries(occupied).Select(Path.GetFileName));
        r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--generator", "magic");
        Assert.Equal(2, r.ExitCode);
        r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--ocr-languages", "nor, dan");
        SkaldProcess.AssertUserError(r, 2, "--ocr-languages", "joined by '+'");
        r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--ocr", "maybe");
        Assert.Equal(2, r.ExitCode);
        Assert.False(Directory.Exists(output));
    }

    /// <summary>
    /// <c>--model bm25 --language auto</c> stems each passage in the language guessed for it (as <c>index build
    /// --language auto</c>): a Danish passage's "fakturaerne" meets the query "fakturaer" through the Danish stemmer and is
    /// mined, which one Norwegian stemmer for all ("fakturaern") misses.
    /// </summary>
    [Fact]
    public void MineNegativesWithAutoStemsEachPassageInItsOwnLanguage()
    {
        string dir = TestPaths.NewTempDir(), pairs = Path.Combine(dir, "pairs.jsonl"), corpus = Path.Combine(dir, "corpus.txt");
        const string danish = "Fakturaerne sendes i morgen, og hvis nogen ikke har betalt efter fjorten dage, bliver der sendt en rykker. Hvad der sker derefter, ved vi ikke meget om.";
        File.WriteAllText(pairs, "{\"anchor\":\"fakturaer\",\"positive\":\"Kantinen er i andre etasje, og den er åpen hver dag.\"}\n");
        File.WriteAllText(corpus, danish + "\nBilene står ute og blir vasket i morgen.\n");
        SkaldProcess.Result Mine(string language) => InProcessSkald.Capture("data", "mine-negatives", "--data", pairs, "--output",
            Path.Combine(dir, language + ".jsonl"), "--model", "bm25", "--corpus", corpus, "--num-negatives", "1", "--format", "triplet",
            "--relative-margin", "none", "--language", language);
        var auto = Mine("auto");
        Assert.True(auto.ExitCode == 0, auto.Stderr);
        Assert.Equal([danish], File.ReadAllLines(Path.Combine(dir, "auto.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("negative").GetString()!));
        SkaldProcess.AssertUserError(Mine("nb"), 1, "no anchor got a negative"); // no passage shares a Norwegian stem with the query
    }

    /// <summary>
    /// --scores lists the cross-encoder's scores (positive, then each negative) in a scores column, as
    /// sentence-transformers' output_scores names it, where --margins writes their differences as label: the two runs
    /// agree, and distill_kl trains on the scores.
    /// </summary>
    [Fact]
    public void MineNegativesScoresAreTheMarginsTermsAndDistillKlTrainsOnThem()
    {
        string dir = TestPaths.NewTempDir(), data = Path.Combine(dir, "data");
        Assert.Equal(0, InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", data, "--chunk-tokens", "40").ExitCode);
        List<JsonElement> Mine(string flag)
        {
            string mined = Path.Combine(dir, flag[2..] + ".jsonl");
            var r = InProcessSkald.Capture("data", "mine-negatives", "--data", Path.Combine(data, "pairs.jsonl"), "--output", mined, "--model", "bm25",
                "--corpus", Path.Combine(data, "corpus.jsonl"), "--num-negatives", "2", "--format", "n-tuple", "--relative-margin", "none",
                "--cross-encoder", TestPaths.FixtureModel("ce-bert"), flag);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return [.. File.ReadAllLines(mined).Select(l => JsonDocument.Parse(l).RootElement)];
        }
        var margins = Mine("--margins");
        var scores = Mine("--scores");
        Assert.Equal(margins.Count, scores.Count);
        for (int i = 0; i < scores.Count; i++)
        {
            var s = scores[i].GetProperty("scores").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            var m = margins[i].GetProperty("label").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            Assert.Equal(3, s.Length);
            for (int j = 0; j < 2; j++) Assert.Equal(m[j], s[0] - s[1 + j], 5);
        }
        string config = Path.Combine(dir, "kl.yaml");
        File.WriteAllText(config, $"""
            model:
              path: {TestPaths.FixtureModel("bert-cased-mean")}
            data:
              train: {Path.Combine(dir, "scores.jsonl")}
            training:
              batch_size: 4
              max_steps: 2
            output:
              dir: {Path.Combine(dir, "kl")}
            loss:
              type: distill_kl
            """);
        var train = InProcessSkald.Capture("train", "--config", config, "--quiet");
        Assert.True(train.ExitCode == 0, train.Stderr);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "mine-negatives", "--data", Path.Combine(data, "pairs.jsonl"), "--output", Path.Combine(dir, "x.jsonl"),
            "--model", "bm25", "--margins", "--scores"), 2, "--margins", "--scores");
    }

    [Theory]
    [InlineData("bm25", "triplet")]
    [InlineData("model", "n-tuple")]
    [InlineData("bm25", "labeled-pair")]
    [InlineData("bm25>ce", "triplet")]
    public void MineNegativesOnGeneratedPairsNeverReturnsAPositive(string scorer, string format)
    {
        string dir = TestPaths.NewTempDir(), data = Path.Combine(dir, "data"), mined = Path.Combine(dir, "mined.jsonl");
        Assert.Equal(0, InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", data, "--chunk-tokens", "40").ExitCode);
        string model = scorer.StartsWith("bm25", StringComparison.Ordinal) ? "bm25" : TestPaths.FixtureModel("bert-cased-mean");
        string[] rescore = scorer == "bm25>ce" ? ["--cross-encoder", TestPaths.FixtureModel("ce-bert"), "--margins"] : [];
        var r = InProcessSkald.Capture(["data", "mine-negatives", "--data", Path.Combine(data, "pairs.jsonl"), "--output", mined, "--model", model,
            "--corpus", Path.Combine(data, "corpus.jsonl"), "--num-negatives", "2", "--format", format, "--relative-margin", "none", .. rescore]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        if (rescore.Length > 0) Assert.Contains("by bm25, rescored by ce-bert", r.Stdout);
        var pairs = File.ReadAllLines(Path.Combine(data, "pairs.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .GroupBy(e => e.GetProperty("anchor").GetString()!).ToDictionary(g => g.Key, g => g.Select(e => e.GetProperty("positive").GetString()!).ToHashSet());
        var rows = File.ReadAllLines(mined).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            string anchor = row.GetProperty("anchor").GetString()!;
            var negatives = format switch
            {
                "triplet" => [row.GetProperty("negative").GetString()!],
                "n-tuple" => new[] { row.GetProperty("negative_1").GetString()!, row.GetProperty("negative_2").GetString()! },
                _ => row.GetProperty("label").GetInt32() == 0 ? [row.GetProperty("positive").GetString()!] : [],
            };
            foreach (var n in negatives) Assert.DoesNotContain(n, pairs[anchor]);
            if (rescore.Length > 0) Assert.InRange(row.GetProperty("label").GetSingle(), -1f, 1f); // a margin of two reranker scores
        }
        if (rescore.Length > 0)
            SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "mine-negatives", "--data", Path.Combine(data, "pairs.jsonl"), "--output", mined,
                "--model", "bm25", "--format", "labeled-pair", "--margins"), 2, "--margins applies to --format triplet or n-tuple");
        r = InProcessSkald.Capture("data", "mine-negatives", "--data", Path.Combine(data, "pairs.jsonl"), "--output", mined, "--model", Path.Combine(dir, "ingen"));
        SkaldProcess.AssertUserError(r, 1, "model folder not found");
    }

    [Fact]
    public void InspectReportsAGeneratedFileAndNamesAMissingOne()
    {
        string dir = TestPaths.NewTempDir(), data = Path.Combine(dir, "data");
        Assert.Equal(0, InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", data).ExitCode);
        var r = InProcessSkald.Capture("data", "inspect", Path.Combine(data, "pairs.jsonl"), "--tokenizer", TestPaths.FixtureModel("bert-cased-mean"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("2 columns (anchor, positive)", r.Stdout);
        Assert.Contains("tokens of", r.Stdout);
        Assert.Contains("examples:", r.Stdout);
        r = InProcessSkald.Capture("data", "inspect", Path.Combine(dir, "mangler.jsonl"));
        SkaldProcess.AssertUserError(r, 1, "mangler.jsonl: file not found");
        Assert.DoesNotContain("Could not find", r.Stderr); // the runtime's wording, with the full path again
    }

    [Fact]
    public void LlmGenerationKilledMidRunResumesWithoutAskingForAFinishedChunkAgain()
    {
        string dir = TestPaths.NewTempDir();
        string[] Args(FakeChatServer server, string output) => ["data", "generate", "--documents", Documents, "--output", output, "--generator", "llm",
            "--llm", server.Url, "--llm-model", "fake", "--chunk-tokens", "40", "--concurrency", "2", "--retry-delay", "0.01", "--api-key-env", "SKALD_TEST_NO_SUCH_KEY"];
        string full = Path.Combine(dir, "full"), resumed = Path.Combine(dir, "resumed");
        using (var server = new FakeChatServer((_, n) => FakeChatServer.Reply.Good))
        {
            var r = InProcessSkald.Capture(Args(server, full));
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains("llm: ", r.Stdout);
        }
        var corpus = File.ReadAllLines(Path.Combine(full, "corpus.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("_id").GetString()!, e => e.GetProperty("text").GetString()!);
        Assert.True(corpus.Count >= 10, $"{corpus.Count} chunks");

        // Every passage's first request is answered 429, so retries happen while the process dies. Once the journal holds
        // three chunks, every request is held until the kill: at most five of ten or more chunks were asked for by then
        // (concurrency 2), so the run cannot end before it is killed.
        using var slow = new FakeChatServer((_, n) => n switch { 0 => FakeChatServer.Reply.Good, 1 => FakeChatServer.Reply.TooMany, _ => FakeChatServer.Reply.Good });
        string journal = resumed + ".journal.jsonl";
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        slow.Holding = _ => JournalLines.Complete(journal) >= 4 ? held.Task : Task.CompletedTask;
        using (var p = System.Diagnostics.Process.Start(SkaldProcess.StartInfo(null, Args(slow, resumed)))!)
        {
            var deadline = DateTime.UtcNow.AddMinutes(10); // a hang guard only
            while (JournalLines.Complete(journal) < 4 && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(20);
            Assert.False(p.HasExited, "the run ended before its journal held three chunks");
            p.Kill(); // SIGKILL: no clean-up runs
            p.WaitForExit();
        }
        slow.Holding = null;
        held.SetResult();
        Assert.False(Directory.Exists(resumed), "a killed run left an output folder");
        var finished = File.ReadAllLines(journal).Where(l => l.EndsWith('}')).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("chunk").GetString()!)
            .Select(id => corpus[id]).ToHashSet();
        int before = slow.Requests.Count;
        var again = InProcessSkald.Capture(Args(slow, resumed));
        Assert.True(again.ExitCode == 0, again.Stderr);
        var askedAfter = slow.Requests.Skip(before).ToList();
        Assert.NotEmpty(askedAfter);
        Assert.DoesNotContain(askedAfter, finished.Contains);
        foreach (var f in new[] { "corpus.jsonl", "queries.jsonl", "pairs.jsonl", "qrels/train.tsv" })
            Assert.Equal(File.ReadAllText(Path.Combine(full, f)), File.ReadAllText(Path.Combine(resumed, f)));
    }

    [Fact]
    public void LlmOptionErrorsAreOneLine()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out");
        var r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--generator", "llm", "--llm-model", "m");
        SkaldProcess.AssertUserError(r, 2, "--generator llm needs --llm URL");
        r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--generator", "llm", "--llm", "https://api.example.invalid/v1",
            "--llm-model", "m", "--api-key-env", "SKALD_TEST_NO_SUCH_KEY");
        SkaldProcess.AssertUserError(r, 1, "environment variable SKALD_TEST_NO_SUCH_KEY is not set");
        using var server = new FakeChatServer((_, n) => n == 0 ? FakeChatServer.Reply.Good : FakeChatServer.Reply.NotFound);
        r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--generator", "llm", "--llm", server.Url, "--llm-model", "m");
        SkaldProcess.AssertUserError(r, 1, $"HTTP 404 for {server.Url}/chat/completions: nothing there, so the base URL is wrong");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void TranslateNamesAnUnknownPairInOneLine()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, "{\"anchor\":\"Hva heter du?\",\"positive\":\"Jeg heter Kari.\"}\n");
        var r = InProcessSkald.Capture("data", "translate", "--data", input, "--output", output, "--from", "nb", "--to", "xx");
        SkaldProcess.AssertUserError(r, 2, "option --to must be one of nb, nn, da, sv, got 'xx'");
        r = InProcessSkald.Capture("data", "translate", "--data", input, "--output", output, "--from", "nb", "--to", "nb");
        SkaldProcess.AssertUserError(r, 1, "unknown language pair nb → nb");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void EmptyInputsAndBadChoicesAreOneLineNotASilentSuccess()
    {
        string dir = TestPaths.NewTempDir(), empty = Path.Combine(dir, "empty.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(empty, "");
        // No rows: an error before any request (the endpoint is a closed local port), not "wrote 0 rows".
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "translate", "--data", empty, "--output", output, "--from", "nb", "--to", "nn",
            "--engine", "llm", "--llm", "http://127.0.0.1:9/v1", "--llm-model", "m"), 1, $"{empty}: no data rows to translate");
        Assert.False(File.Exists(output));
        // A stemming language BM25 does not have: refused, not mined without stemming.
        string pairs = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllText(pairs, "{\"anchor\":\"Når går toget?\",\"positive\":\"Toget går 07:45.\"}\n{\"anchor\":\"Hvor er kantinen?\",\"positive\":\"Kantinen er i andre etasje.\"}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "mine-negatives", "--data", pairs, "--output", output, "--model", "bm25",
            "--language", "xx"), 2, "--language xx: BM25 stems nb, nn, da, sv");
        string cacheFile = Path.Combine(dir, "cache-file");
        File.WriteAllText(cacheFile, "x");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "mine-negatives", "--data", pairs, "--output", output,
            "--model", TestPaths.FixtureModel("bert-cased-mean"), "--cache", cacheFile), 1, $"embedding cache {cacheFile}: is a file");
        // A malformed line of a .jsonl document is named with its line, not a skipped file.
        string docs = Path.Combine(dir, "docs.jsonl");
        File.WriteAllText(docs, "{\"text\": \"Toget går fra Oslo S hver time. Det tar tre timer til Lillehammer.\"}\n{\"text\": \"unterminated\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "generate", "--documents", docs, "--output", Path.Combine(dir, "gen")), 1,
            $"{docs}:2: not a JSON object");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", Path.Combine(dir, "gen"),
            "--chunk-tokens", "40", "--overlap-tokens", "40"), 2, "option --overlap-tokens (40) must be below --chunk-tokens (40)");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", Path.Combine(dir, "gen"),
            "--min-query-words", "10", "--max-query-words", "5"), 2, "option --min-query-words (10) must not be above --max-query-words (5)");
        // A journal that is a folder: named before any document is read or request made.
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", Path.Combine(dir, "gen"),
            "--generator", "llm", "--llm", "http://127.0.0.1:9/v1", "--llm-model", "m", "--journal", dir), 2,
            $"option --journal {dir}: is a folder; name a file");
        // A journal that is a file being read: opening it cut the file's unterminated last line as a torn entry.
        string data = Path.Combine(dir, "rows.jsonl");
        File.WriteAllText(data, "{\"text\": \"Toget går klokka sju.\"}\n{\"text\": \"Kor mykje kostar billetten?\"}");
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, answer: p => p);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "translate", "--data", data, "--output", Path.Combine(dir, "nn.jsonl"), "--from", "nb",
            "--to", "nn", "--engine", "llm", "--llm", server.Url, "--llm-model", "m", "--journal", data), 2, $"--journal {data} is the input {data}");
        Assert.EndsWith("billetten?\"}", File.ReadAllText(data));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "generate", "--documents", data, "--output", Path.Combine(dir, "gen"),
            "--generator", "llm", "--llm", server.Url, "--llm-model", "m", "--journal", data), 2, $"--journal {data} is the input {data}");
        Assert.EndsWith("billetten?\"}", File.ReadAllText(data));
    }

    [ApertiumFact]
    public void TranslateWithApertiumWritesParallelPairs()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, "{\"anchor\":\"Hva heter du?\",\"positive\":\"Jeg heter Kari.\"}\n");
        var r = InProcessSkald.Capture("data", "translate", "--data", input, "--output", output, "--from", "nb", "--to", "nn", "--parallel");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"positive\":\"Kva heiter du?\"", File.ReadAllText(output));
    }

    [Fact]
    public void TranslateWithAnLlmEndpointWritesParallelPairs()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, "{\"anchor\":\"Hva heter du?\",\"positive\":\"Jeg heter Kari.\"}\n");
        using var server = new FakeChatServer((_, n) => n == 1 ? FakeChatServer.Reply.ServerError : FakeChatServer.Reply.Good, answer: t => t == "Hva heter du?" ? "Kva heiter du?" : "Eg heiter Kari.");
        var r = InProcessSkald.Capture("data", "translate", "--data", input, "--output", output, "--from", "nb", "--to", "nn", "--engine", "llm",
            "--llm", server.Url, "--llm-model", "fake", "--parallel");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["{\"anchor\":\"Hva heter du?\",\"positive\":\"Kva heiter du?\"}", "{\"anchor\":\"Jeg heter Kari.\",\"positive\":\"Eg heiter Kari.\"}"], File.ReadAllLines(output));
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public void TranslateWithoutColumnsKeepsAParquetFilesNumbersAsNumbers()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "out.jsonl");
        string input = ParquetFixture.Write(Path.Combine(dir, "in.parquet"), ("id", new long[] { 7, 8 }),
            ("anchor", new[] { "Hva heter du?", "Jeg heter Kari." }), ("year", new long[] { 1999, 2024 }));
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good, answer: t => t == "Hva heter du?" ? "Kva heiter du?" : "Eg heiter Kari.");
        var r = InProcessSkald.Capture("data", "translate", "--data", input, "--output", output, "--from", "nb", "--to", "nn", "--engine", "llm",
            "--llm", server.Url, "--llm-model", "fake");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["{\"id\":7,\"anchor\":\"Kva heiter du?\",\"year\":1999}", "{\"id\":8,\"anchor\":\"Eg heiter Kari.\",\"year\":2024}"], File.ReadAllLines(output));
        Assert.Equal(["Hva heter du?", "Jeg heter Kari."], server.Requests.Order(StringComparer.Ordinal));
        // Naming a column of numbers, or a file with no text column, is one line naming the file and the column.
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "translate", "--data", input, "--output", output, "--from", "nb", "--to", "nn",
            "--engine", "llm", "--llm", server.Url, "--llm-model", "fake", "--columns", "anchor,year"), 1, $"{input}: column 'year' has type int64, not string");
        string numbers = ParquetFixture.Write(Path.Combine(dir, "numbers.parquet"), ("id", new long[] { 7, 8 }));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "translate", "--data", numbers, "--output", output, "--from", "nb", "--to", "nn",
            "--engine", "llm", "--llm", server.Url, "--llm-model", "fake"), 1, $"{numbers}: no text column to translate (columns: id (int64))");
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public void TranslateWithoutColumnsNamesAJsonlNumberInOneLine()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, "{\"anchor\":\"Hva heter du?\",\"year\":1999}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "translate", "--data", input, "--output", output, "--from", "nb", "--to", "nn",
            "--engine", "llm", "--llm", "http://127.0.0.1:9/v1", "--llm-model", "m"), 1, $"{input}:1: column 'year' must be a string");
        Assert.False(File.Exists(output));
    }
}
