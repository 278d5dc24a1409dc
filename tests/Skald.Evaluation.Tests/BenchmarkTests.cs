using System.Diagnostics;
using System.Text.RegularExpressions;
using Skald.Evaluation.Benchmark;
using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;
using Skald.Retrieval;
using Xunit.Abstractions;

namespace Skald.Evaluation.Tests;

public sealed class BenchmarkTests(ITestOutputHelper output)
{
    private static TaskResult R(string model, string task, double score) => new()
    {
        Task = task, Type = "sts", Language = "da", MainMetric = "m", MainScore = score, Metrics = new() { ["m"] = score }, Model = model,
    };

    [Fact]
    public void BordaCountCountsAMissingResultAsLast()
    {
        string[] models = ["A", "B", "C"];
        var results = new Dictionary<(string, string), TaskResult>
        {
            [("A", "t1")] = R("A", "t1", 0.9), [("B", "t1")] = R("B", "t1", 0.8), [("C", "t1")] = R("C", "t1", 0.7),
            [("A", "t2")] = R("A", "t2", 0.5), [("B", "t2")] = R("B", "t2", 0.5), // C missing: last, 3 − 3 = 0 votes
            [("C", "t3")] = R("C", "t3", 1.0),
        };
        var board = new Leaderboard(models, [("t1", "sts", "da"), ("t2", "sts", "da-sv"), ("t3", "sts", "sv")], results);
        // t1: 2, 1, 0; t2: A and B tie at average rank 1.5 → 1.5 each; t3: C rank 1 → 3 − 1 = 2, A and B share
        // places 2 and 3 (SEB's na_option="bottom"): 3 − 2.5 = 0.5 each (MTEB gave them none: 3.5 and 2.5)
        Assert.Equal(4.0, board.Borda["A"], 12);
        Assert.Equal(3.0, board.Borda["B"], 12);
        Assert.Equal(2.0, board.Borda["C"], 12);
        Assert.Equal([1, 2, 3], models.Select(m => board.BordaRank[m]));
        Assert.Equal(0.7, board.Mean("A", _ => true)!.Value, 12);
        Assert.Equal(["da", "sv"], board.Languages);
        Assert.Equal(1.0, board.Mean("C", t => Leaderboard.HasLanguage(t, "sv"))!.Value, 12); // bitext da-sv counts for sv
        Assert.Equal(0.5, board.Mean("A", t => Leaderboard.HasLanguage(t, "sv"))!.Value, 12);
        Assert.Null(board.Mean("B", t => t.Task == "t3"));
        var tied = Leaderboard.BordaCount(["X", "Y", "Z"], ["t"], (m, _) => m == "Z" ? 0.1 : 0.5);
        Assert.Equal(1.5, tied["X"]);
        Assert.Equal(1.5, tied["Y"]);
        Assert.Equal(0, tied["Z"]);
    }

    // The LLM2Vec journey's report: bm25 (retrieval only) won the one task both ran, the supervised model ran the other
    // too. The votes tie (1 each: a win and a last place apiece); they shared rank 1, now the model that ran both ranks first.
    [Fact]
    public void AModelThatSkippedATaskRanksBelowOneWithEqualVotesThatRanIt()
    {
        string[] models = ["bm25", "supervised"];
        var results = new Dictionary<(string, string), TaskResult>
        {
            [("bm25", "retrieval")] = R("bm25", "retrieval", 0.6644), [("supervised", "retrieval")] = R("supervised", "retrieval", 0.30),
            [("supervised", "sts")] = R("supervised", "sts", 0.3762),
        };
        var board = new Leaderboard(models, [("retrieval", "retrieval", "da"), ("sts", "sts", "da")], results);
        Assert.Equal(1.0, board.Borda["bm25"], 12);
        Assert.Equal(1.0, board.Borda["supervised"], 12);
        Assert.Equal(1, board.TasksScored["bm25"]);
        Assert.Equal(2, board.TasksScored["supervised"]);
        Assert.Equal(2, board.BordaRank["bm25"]);
        Assert.Equal(1, board.BordaRank["supervised"]);
        // Equal votes and equal tasks still share a rank.
        var even = new Leaderboard(["X", "Y"], [("t1", "sts", "da"), ("t2", "sts", "da")], new Dictionary<(string, string), TaskResult>
        {
            [("X", "t1")] = R("X", "t1", 0.9), [("Y", "t1")] = R("Y", "t1", 0.1), [("X", "t2")] = R("X", "t2", 0.1), [("Y", "t2")] = R("Y", "t2", 0.9),
        });
        Assert.Equal(1, even.BordaRank["X"]);
        Assert.Equal(1, even.BordaRank["Y"]);
    }

    [Fact]
    public void SuiteErrorsAreClear()
    {
        string dir = TestPaths.NewTempDir();
        string suite = Path.Combine(dir, "s.json");
        File.WriteAllText(suite, "{\"tasks\": [{\"path\": \"nope\"}]}");
        Assert.Contains("task 1 path", Assert.Throws<EvaluationException>(() => Suite.Load(suite)).Message);
        File.WriteAllText(suite, "{\n  \"tasks\": [ }");
        string malformed = Assert.Throws<EvaluationException>(() => Suite.Load(suite)).Message;
        Assert.StartsWith($"{suite}: not JSON (line 2, column 14): ", malformed); // the "}" on line 2
        Assert.DoesNotContain("LineNumber", malformed);
        File.WriteAllText(suite, "");
        Assert.Equal($"{suite}: empty", Assert.Throws<EvaluationException>(() => Suite.Load(suite)).Message);
        Assert.Contains("suite file not found", Assert.Throws<EvaluationException>(() => Suite.Load(Path.Combine(dir, "x.json"))).Message);
        // Members of the wrong JSON type are named, never an internal error.
        foreach (var (json, expected) in new[]
        {
            ("{\"tasks\": [{\"path\": 5}]}", "task 1 \"path\" must be a string, not number"),
            ("{\"tasks\": [{\"path\": \"a\", \"name\": [1]}]}", "task 1 \"name\" must be a string, not array"),
            ("{\"tasks\": [{\"dataset\": true}]}", "task 1 \"dataset\" must be a string, not true"),
            ("{\"tasks\": [\"x\"]}", "task 1 must be a JSON object, not string"),
            ("{\"tasks\": [null]}", "task 1 must be a JSON object, not null"),
            ("[1]", "must be a JSON object with a \"tasks\" array"),
            ("{\"name\": 3, \"tasks\": [{\"path\": \"a\"}]}", "\"name\" must be a string"),
            // a mistyped key was ignored: "tpye" left the type to be guessed (a SIB-200 folder ran as classification, not clustering)
            // and a near miss names the key it was likely meant to be before the list of them.
            ("{\"tasks\": [{\"path\": \"a\", \"tpye\": \"clustering\"}]}", "task 1 has an unknown key \"tpye\"; did you mean \"type\"? (keys: name, type, path, dataset, language, add_transitive_closure)"),
            ("{\"tasks\": [{\"path\": \"a\", \"typ\": \"clustering\"}]}", "task 1 has an unknown key \"typ\"; did you mean \"type\"? (keys: name, type, path, dataset, language, add_transitive_closure)"),
            ("{\"tasks\": [{\"path\": \"a\"}], \"data-root\": \"..\"}", "has an unknown key \"data-root\"; did you mean \"data_root\"? (keys: name, description, data_root, tasks)"),
            ("{\"tasks\": [{\"path\": \"a\", \"weight\": 2}]}", "task 1 has an unknown key \"weight\" (keys: name, type, path, dataset, language, add_transitive_closure)"),
            ("{\"tasks\": [{\"path\": \"a\", \"type\": \"similarity\"}]}", "task 1 \"type\": unknown task type \"similarity\""),
            // a lone surrogate escape: valid JSON, no text (it was an InvalidOperationException, an internal error)
            ("{\"tasks\": [{\"path\": \"\\ud800\"}]}", "task 1 field \"path\" holds a lone UTF-16 surrogate escape"),
        })
        {
            File.WriteAllText(suite, json);
            var e = Assert.Throws<EvaluationException>(() => Suite.Load(suite));
            Assert.Contains(expected, e.Message);
            Assert.StartsWith(suite, e.Message);
        }
    }

    [Fact]
    public void ASuiteThatIsNotUtf8IsNamedByLineAndOffset()
    {
        // a task named in Latin-1 ("bær") was read as "b\uFFFDr" and reported under that name
        string dir = TestPaths.NewTempDir(), suite = Path.Combine(dir, "s.json"), sts = Path.Combine(dir, "sts.tsv");
        File.WriteAllText(sts, "sentence1\tsentence2\tscore\nHei\tHallo\t4\nHund\tKatt\t1\n");
        byte[] head = [.. System.Text.Encoding.UTF8.GetBytes($"{{\"tasks\": [\n  {{\"path\": \"{sts}\", \"name\": \"b")];
        File.WriteAllBytes(suite, [.. head, 0xE6, .. "r\"}]}\n"u8]);
        var e = Assert.Throws<EvaluationException>(() => Suite.Load(suite));
        Assert.Equal($"{suite}:2: not valid UTF-8 (byte 0xE6 at offset {head.Length}); save the file as UTF-8", e.Message);
    }

    [Fact]
    public void Bm25OverTheWholeSharedSuite()
    {
        if (SharedData.Root is not { } data)
        {
            output.WriteLine("../shared/data not found: the shared-suite BM25 benchmark did nothing");
            return;
        }
        var suite = Suite.Load(Path.Combine(TestPaths.RepoRoot, "suites", "scandinavian.json"), data);
        var report = BenchmarkRunner.Run(suite, ["bm25"]);
        var retrieval = suite.Tasks.Where(t => t.Kind == Data.TaskKind.Retrieval).ToList();
        Assert.Equal(4, retrieval.Count);
        foreach (var t in retrieval)
        {
            var r = report.Board.Results[("bm25", t.Name)];
            output.WriteLine($"{t.Name}: ndcg@10 {r.MainScore:F4} ({r.Metadata["model.stemming"]})");
            Assert.True(r.MainScore > 0.8, $"{t.Name}: {r.MainScore}");
        }
        Assert.Equal(suite.Tasks.Count - 4, report.Skipped.Count);
    }

    [Fact]
    public void BenchmarkOverSharedDataWithBm25AndAFixtureModelRendersInChromium()
    {
        if (SharedData.Root is not { } data)
        {
            output.WriteLine("../shared/data not found: the benchmark acceptance test did nothing");
            return;
        }
        string dir = TestPaths.NewTempDir(), cache = Path.Combine(dir, "cache");
        var suite = Suite.Load(Path.Combine(TestPaths.RepoRoot, "suites", "scandinavian.json"), data, limit: 300);
        string[] models = ["bm25", TestPaths.FixtureModel("bert-cased-mean")];
        var sw = Stopwatch.StartNew();
        var report = BenchmarkRunner.Run(suite, models, new BenchmarkOptions { CacheDirectory = cache });
        output.WriteLine($"first run: {sw.Elapsed.TotalSeconds:F1} s, {report.Computed} computed");
        Assert.Equal(4 + suite.Tasks.Count, report.Computed);
        var paths = report.Write(Path.Combine(dir, "report"));
        Assert.All(paths, p => Assert.True(new FileInfo(p).Length > 500, p));
        string md = File.ReadAllText(paths[0]);
        Assert.Contains("| xquad-da | retrieval | da | ndcg_at_10 |", md);
        Assert.Contains("## Mean per language", md);
        Assert.Contains("\"borda_votes\"", File.ReadAllText(paths[1]));
        // A rerun computes nothing.
        var again = BenchmarkRunner.Run(suite, models, new BenchmarkOptions { CacheDirectory = cache });
        Assert.Equal(0, again.Computed);
        Assert.Equal(report.Computed, again.Cached);
        Assert.Equal(report.Board.Borda["bm25"], again.Board.Borda["bm25"]);
        int bars = Regex.Matches(File.ReadAllText(paths[2]), "<rect class=\"bar\"").Count;
        Assert.True(bars > suite.Tasks.Count, $"{bars} bars");
        RenderInChromium(paths[2], bars);
    }

    private void RenderInChromium(string html, int expectedBars)
    {
        if (!Chromium.Installed)
        {
            output.WriteLine("chromium not installed (Debian package chromium): the headless render check did nothing");
            return;
        }
        var (dom, stderr) = Chromium.Run("--dump-dom", new Uri(html).AbsoluteUri);
        var m = Regex.Match(dom, "data-bars-rendered=\"(\\d+)\"");
        Assert.True(m.Success, "the page's script did not run; chromium stderr: " + stderr[..Math.Min(500, stderr.Length)]);
        output.WriteLine($"chromium laid out {m.Groups[1].Value} of {expectedBars} bars");
        Assert.Equal(expectedBars, int.Parse(m.Groups[1].Value));
        Assert.Contains("<svg id=\"chart-tasks\"", dom);
    }

    [Fact]
    public void ACrossEncoderInTheModelListReranksBm25AndScoresRerankingTasks()
    {
        string dir = TestPaths.NewTempDir();
        string[] texts = ["Fjorden ligg stille i morgonsola.", "Bussen går 07:45 fra Jernbanetorget.", "Blåbærsyltetøy på vaffel er best.", "Kva tid går ferja over fjorden?"];
        string Beir(string name, bool candidates)
        {
            string task = Path.Combine(dir, name);
            Directory.CreateDirectory(Path.Combine(task, "qrels"));
            File.WriteAllLines(Path.Combine(task, "corpus.jsonl"), texts.Select((t, i) => $"{{\"_id\": \"d{i}\", \"text\": \"{t}\"}}"));
            File.WriteAllLines(Path.Combine(task, "queries.jsonl"), ["{\"_id\": \"q1\", \"text\": \"Når går ferja over fjorden?\"}", "{\"_id\": \"q2\", \"text\": \"vaffel med syltetøy\"}"]);
            File.WriteAllText(Path.Combine(task, "qrels", "test.tsv"), "q1\td3\t1\nq2\td2\t1\n");
            if (candidates) File.WriteAllText(Path.Combine(task, "top_ranked.jsonl"), "{\"query-id\": \"q1\", \"corpus-ids\": [\"d0\", \"d3\"]}\n{\"query-id\": \"q2\", \"corpus-ids\": [\"d1\", \"d2\", \"d3\"]}\n");
            return task;
        }
        string sts = Path.Combine(dir, "sts.tsv");
        File.WriteAllText(sts, "sentence1\tsentence2\tscore\nHei\tHallo\t4\nHund\tKatt\t1\nBil\tBuss\t2\n");
        string suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, $$"""{"tasks": [{"path": "{{Beir("ret", false)}}", "language": "nb"}, {"path": "{{Beir("rerank", true)}}", "language": "nb"}, {"path": "{{sts}}", "language": "nb"}]}""");
        string ce = TestPaths.FixtureModel("ce-bert");
        var report = BenchmarkRunner.Run(Suite.Load(suite), ["bm25", ce]);
        const string name = "bm25>ce-bert";
        Assert.Contains(name, report.Board.Models);
        Assert.NotNull(report.Board.Score(name, "ret"));
        Assert.Null(report.Board.Score(name, "sts")); // retrieval and reranking only
        var reranked = report.Board.Results[(name, "rerank")];
        Assert.Equal("reranking", reranked.Type);
        Assert.Equal("map_at_1000", reranked.MainMetric);
        // The same numbers as evaluating the cross-encoder on the task alone.
        var alone = TaskEvaluator.Create(Data.TaskDefinition.FromPath(Path.Combine(dir, "rerank"), language: "nb"))
            .Evaluate(new Skald.Retrieval.Search.CrossEncoderRetriever(Skald.Models.CrossEncoders.CrossEncoder.Load(ce)));
        Assert.Equal(alone.MainScore, reranked.MainScore, 12);
    }

    [Fact]
    public void AnyFirstStageCanBeRerankedByACrossEncoder()
    {
        string dir = TestPaths.NewTempDir();
        string task = BeirFolder.Write(
            "{\"_id\": \"d0\", \"text\": \"Fjorden ligg stille i morgonsola.\"}\n{\"_id\": \"d1\", \"text\": \"Bussen går 07:45 fra Jernbanetorget.\"}\n" +
            "{\"_id\": \"d2\", \"text\": \"Blåbærsyltetøy på vaffel er best.\"}\n{\"_id\": \"d3\", \"text\": \"Kva tid går ferja over fjorden?\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går ferja over fjorden?\"}\n{\"_id\": \"q2\", \"text\": \"vaffel med syltetøy\"}\n",
            "q1\td3\t1\nq2\td2\t1\n");
        string suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, $$"""{"tasks": [{"path": "{{task}}", "language": "nb"}]}""");
        string ce = TestPaths.FixtureModel("ce-bert"), dense = TestPaths.FixtureModel("bert-cased-mean");
        var report = BenchmarkRunner.Run(Suite.Load(suite), [$"{dense}>{ce}", $"hybrid:{dense}>{ce}"]);
        const string name = "bert-cased-mean>ce-bert";
        Assert.Contains(name, report.Board.Models);
        Assert.Contains("bm25+bert-cased-mean>ce-bert", report.Board.Models);
        // The same numbers as the cross-encoder reordering the dense model's hits on the task alone.
        var alone = TaskEvaluator.Create(Data.TaskDefinition.FromPath(task, language: "nb")).Evaluate(
            new Skald.Retrieval.Search.CrossEncoderRetriever(Skald.Models.CrossEncoders.CrossEncoder.Load(ce),
                new Skald.Retrieval.Search.DenseRetriever(EvaluationEmbeddingModel.Load(dense, new EvaluationEmbeddingOptions())), 100));
        Assert.Equal(alone.MainScore, report.Board.Results[(name, Path.GetFileName(task))].MainScore, 12);
        var e = Assert.Throws<Skald.Retrieval.EvaluationException>(() => BenchmarkRunner.Run(Suite.Load(suite), [$"bm25>{dense}"]));
        Assert.Contains("must be a cross-encoder folder", e.Message);
    }

    [Fact]
    public void APrecisionSearchesQuantizedEmbeddingsAndIsPartOfTheCacheKey()
    {
        string dir = TestPaths.NewTempDir(), cache = Path.Combine(dir, "cache");
        string task = BeirFolder.Write(
            "{\"_id\": \"d0\", \"text\": \"Fjorden ligg stille.\"}\n{\"_id\": \"d1\", \"text\": \"Bussen går 07:45.\"}\n{\"_id\": \"d2\", \"text\": \"Vaffel med syltetøy.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går bussen?\"}\n", "q1\td1\t1\n");
        string suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, $$"""{"tasks": [{"path": "{{task}}", "language": "nb"}]}""");
        string model = TestPaths.FixtureModel("bert-cased-mean");
        var plain = BenchmarkRunner.Run(Suite.Load(suite), [model], new BenchmarkOptions { CacheDirectory = cache });
        var bits = BenchmarkRunner.Run(Suite.Load(suite), [model], new BenchmarkOptions
        {
            CacheDirectory = cache,
            Retrieval = new RetrievalOptions { Quantization = new Skald.Retrieval.Quantization.QuantizedSearchOptions(Skald.Retrieval.Quantization.EmbeddingPrecision.Ubinary, 4) },
        });
        Assert.Equal(1, bits.Computed); // not the float result from the cache
        var result = bits.Board.Results[("bert-cased-mean", Path.GetFileName(task))];
        Assert.Contains("ubinary", result.Metadata["model.search"]);
        Assert.DoesNotContain("ubinary", plain.Board.Results[("bert-cased-mean", Path.GetFileName(task))].Metadata["model.search"]);
    }

    [Fact]
    public void AWidthThePqCannotSplitIsRefusedBeforeTheModelsFirstTask()
    {
        // The suite's first task is not retrieval: the width check must not wait for the retrieval task to come up.
        var (suite, _) = StsThenRetrievalSuite.Write(TestPaths.NewTempDir());
        string model = TestPaths.FixtureModel("bert-cased-mean");
        int width = EvaluationEmbeddingModel.Load(model, new EvaluationEmbeddingOptions()).Dimension;
        int m = Enumerable.Range(2, width).First(d => width % d != 0);
        var log = new List<string>();
        var e = Assert.Throws<Skald.Retrieval.EvaluationException>(() => BenchmarkRunner.Run(Suite.Load(suite), [model], new BenchmarkOptions
        {
            Log = log.Add,
            Retrieval = new RetrievalOptions
            {
                Quantization = new Skald.Retrieval.Quantization.QuantizedSearchOptions(Skald.Retrieval.Quantization.EmbeddingPrecision.Float32)
                {
                    Product = new Skald.Retrieval.Quantization.ProductQuantizerOptions { Subspaces = m },
                },
            },
        }));
        Assert.StartsWith($"bert-cased-mean: {width} dimensions do not split into {m} sub-vectors", e.Message);
        Assert.Empty(log); // no task ran for it
    }

    /// <summary>
    /// Matryoshka widths and sparse budgets (<see cref="BenchmarkOptions.TruncateDims"/>, <see cref="BenchmarkOptions.MaxActiveDims"/>):
    /// one ranked entry per width of each dense folder and per count of each sparse one, each equal to evaluating the
    /// model alone at that setting, and cached under its own key.
    /// </summary>
    [Fact]
    public void WidthsAndActiveDimsAreEntriesOfTheirOwn()
    {
        string dir = TestPaths.NewTempDir(), cache = Path.Combine(dir, "cache");
        string task = BeirFolder.Write(
            "{\"_id\": \"d0\", \"text\": \"Fjorden ligg stille.\"}\n{\"_id\": \"d1\", \"text\": \"Bussen går 07:45.\"}\n{\"_id\": \"d2\", \"text\": \"Vaffel med syltetøy.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går bussen?\"}\n{\"_id\": \"q2\", \"text\": \"vaffel\"}\n", "q1\td1\t1\nq2\td2\t1\n");
        string suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, $$"""{"tasks": [{"path": "{{task}}", "language": "nb"}]}""");
        string dense = TestPaths.FixtureModel("bert-cased-mean"), sparse = TestPaths.FixtureModel("splade-bert-tiny");
        var options = new BenchmarkOptions { CacheDirectory = cache, TruncateDims = [16, 4], MaxActiveDims = [3] };
        var report = BenchmarkRunner.Run(Suite.Load(suite), [dense, sparse, "bm25"], options);
        Assert.Equal(["bert-cased-mean (16d)", "bert-cased-mean (4d)", "splade-bert-tiny (3 active)", "bm25"], report.Board.Models);
        string name = Path.GetFileName(task);
        foreach (var (entry, embedding) in new[]
        {
            ("bert-cased-mean (4d)", (dense, new EvaluationEmbeddingOptions { TruncateDim = 4 })),
            ("splade-bert-tiny (3 active)", (sparse, new EvaluationEmbeddingOptions { MaxActiveDims = 3 })),
        })
        {
            var alone = TaskEvaluator.Create(Data.TaskDefinition.FromPath(task, language: "nb"))
                .Evaluate(EvaluationEmbeddingModel.Load(embedding.Item1, embedding.Item2));
            Assert.Equal(alone.MainScore, report.Board.Results[(entry, name)].MainScore, 12);
        }
        Assert.Equal("4", report.Board.Results[("bert-cased-mean (4d)", name)].Metadata["model.truncate_dim"]);
        var again = BenchmarkRunner.Run(Suite.Load(suite), [dense], options with { TruncateDims = [16, 8] });
        Assert.Equal(1, again.Computed); // 16 from the cache, 8 new
        Assert.Equal(1, again.Cached);
    }
}
