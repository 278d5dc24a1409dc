namespace Skald.Cli.Tests;

/// <summary>
/// The verbs that load models release them when they are done, and when they fail after loading: once the verb
/// returns, this process holds none of the model's files open (the vocabulary tables are read from their files by rows,
/// so an undisposed model keeps its weights file open). Run in-process on scratch copies of the fixtures (Linux:
/// /proc/self/fd).
/// </summary>
[Collection(InProcessSkaldCollection.Name)]
public sealed class ModelReleaseCommandTests
{
    private static readonly string Documents = SampleDocuments.Folder;

    private static string Copy(string fixture, out string weights, string file = "model.safetensors")
    {
        string folder = TestPaths.CopyOfFixtureModel(fixture);
        weights = Path.Combine(folder, file);
        return folder;
    }

    private static string Lines(params string[] lines)
    {
        string file = Path.Combine(TestPaths.NewTempDir(), "lines.txt");
        File.WriteAllLines(file, lines);
        return file;
    }

    // a retrieval task; with candidates (top_ranked.jsonl) a reranking task, which a cross-encoder scores alone
    private static string Task(bool candidates = false)
    {
        string dir = BeirFolder.Write(
            "{\"_id\": \"d0\", \"text\": \"Fjorden ligg stille i morgonsola.\"}\n{\"_id\": \"d1\", \"text\": \"Kva tid går ferja over fjorden?\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går ferja over fjorden?\"}\n", "q1\td1\t1\n");
        if (candidates) File.WriteAllText(Path.Combine(dir, "top_ranked.jsonl"), "{\"query-id\": \"q1\", \"corpus-ids\": [\"d0\", \"d1\"]}\n");
        return dir;
    }

    private static string Generated()
    {
        string data = Path.Combine(TestPaths.NewTempDir(), "data");
        Assert.Equal(0, InProcessSkald.Run("data", "generate", "--documents", Documents, "--output", data, "--chunk-tokens", "40", "-q"));
        return data;
    }

    [Fact]
    public void RerankReleasesTheCrossEncoderAndAClassifierItRefuses()
    {
        if (!OpenFiles.Visible) return;
        string ce = Copy("ce-bert", out string weights), docs = Lines("Ferja går kvar time.", "Bussen går 07:45.");
        Assert.Equal(0, InProcessSkald.Run("rerank", "--model", ce, "--query", "Kva tid går ferja?", "--documents", docs, "--format", "json"));
        Assert.Equal(0, OpenFiles.Count(weights));
        string classifier = Copy("ce-xlmr", out string classifierWeights);
        Assert.Equal(1, InProcessSkald.Run("rerank", "--model", classifier, "--query", "q", "--documents", docs)); // 3 labels: not a reranker
        Assert.Equal(0, OpenFiles.Count(classifierWeights));
    }

    [Fact]
    public void GenerateReleasesTheDecoderAlsoWhenAnInputRowIsRefused()
    {
        if (!OpenFiles.Visible) return;
        string decoder = Copy("decoder-llama3", out string weights, "model-00001-of-00002.safetensors");
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, "{\"prompt\": \"Hei\"}\n");
        Assert.Equal(0, InProcessSkald.Run("generate", "--model", decoder, "--input", input, "--output", Path.Combine(dir, "out.jsonl"), "--max-new-tokens", "2", "-q"));
        Assert.Equal(0, OpenFiles.Count(weights));
        File.WriteAllText(input, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hei\"}]}\n"); // this folder has no chat template
        Assert.Equal(1, InProcessSkald.Run("generate", "--model", decoder, "--input", input, "--output", Path.Combine(dir, "out2.jsonl"), "-q"));
        Assert.Equal(0, OpenFiles.Count(weights));
    }

    [Fact]
    public void EvaluateReleasesTheFirstStageAndTheReranker()
    {
        if (!OpenFiles.Visible) return;
        string dense = Copy("bert-cased-mean", out string denseWeights), ce = Copy("ce-bert", out string ceWeights);
        Assert.Equal(0, InProcessSkald.Run("evaluate", "--model", dense, "--rerank", ce, "--task", Task(), "-q"));
        Assert.Equal(0, OpenFiles.Count(denseWeights));
        Assert.Equal(0, OpenFiles.Count(ceWeights));
        Assert.Equal(0, InProcessSkald.Run("evaluate", "--model", "hybrid:" + dense, "--task", Task(), "-q"));
        Assert.Equal(0, OpenFiles.Count(denseWeights));
        Assert.Equal(0, InProcessSkald.Run("evaluate", "--model", ce, "--task", Task(candidates: true), "-q")); // a cross-encoder as the model
        Assert.Equal(0, OpenFiles.Count(ceWeights));
        string classifier = Copy("ce-xlmr", out string classifierWeights);
        Assert.Equal(1, InProcessSkald.Run("evaluate", "--model", dense, "--rerank", classifier, "--task", Task(), "-q")); // loaded the first stage, then refused
        Assert.Equal(0, OpenFiles.Count(denseWeights));
        Assert.Equal(0, OpenFiles.Count(classifierWeights));
    }

    [Fact]
    public void MineNegativesReleasesTheEmbeddingModelAndTheCrossEncoder()
    {
        if (!OpenFiles.Visible) return;
        string data = Generated();
        string dense = Copy("bert-cased-mean", out string denseWeights), ce = Copy("ce-bert", out string ceWeights);
        Assert.Equal(0, InProcessSkald.Run("data", "mine-negatives", "--data", Path.Combine(data, "pairs.jsonl"), "--output", Path.Combine(data, "mined.jsonl"),
            "--model", dense, "--cross-encoder", ce, "--corpus", Path.Combine(data, "corpus.jsonl"), "--num-negatives", "1", "--relative-margin", "none", "-q"));
        Assert.Equal(0, OpenFiles.Count(denseWeights));
        Assert.Equal(0, OpenFiles.Count(ceWeights));
    }

    [Fact]
    public void DataGenerateReleasesTheRoundTripModel()
    {
        if (!OpenFiles.Visible) return;
        string dense = Copy("bert-cased-mean", out string weights);
        Assert.Equal(0, InProcessSkald.Run("data", "generate", "--documents", Documents, "--output", Path.Combine(TestPaths.NewTempDir(), "data"),
            "--chunk-tokens", "40", "--round-trip", dense, "-q"));
        Assert.Equal(0, OpenFiles.Count(weights));
    }

    [Fact]
    public void MineReleasesTheEmbeddingModel()
    {
        if (!OpenFiles.Visible) return;
        string dense = Copy("bert-cased-mean", out string weights), dir = TestPaths.NewTempDir();
        string texts = Lines("Hvor ligger legekontoret?", "Legekontoret ligger i sentrum.", "Hvor er legekontoret?", "Bussen går 07:45.");
        Assert.Equal(0, InProcessSkald.Run("mine", "paraphrases", "--model", dense, "--input", texts, "--output", Path.Combine(dir, "pairs.jsonl"), "-q"));
        Assert.Equal(0, InProcessSkald.Run("mine", "bitext", "--model", dense, "--source", texts, "--target", texts, "--output", Path.Combine(dir, "bitext.jsonl"), "-q"));
        Assert.Equal(0, OpenFiles.Count(weights));
    }

    [Fact]
    public void TrainReleasesTheTeacherWhenTheRunIsDone()
    {
        if (!OpenFiles.Visible) return;
        string teacher = Copy("bert-cased-mean", out string weights), dir = TestPaths.NewTempDir();
        string data = Path.Combine(dir, "bitext.jsonl"), config = Path.Combine(dir, "config.yaml");
        File.WriteAllText(data, string.Concat(Enumerable.Range(0, 8).Select(i => $"{{\"nb\": \"Hus nummer {i} ligger ved sjøen.\", \"sv\": \"Hus nummer {i} ligger vid sjön.\"}}\n")));
        File.WriteAllText(config, $"model:\n  path: {TestPaths.FixtureModel("bert-cased-mean")}\ndata:\n  train: {data}\ntraining:\n  batch_size: 4\n  max_steps: 2\n" +
            $"output:\n  dir: {Path.Combine(dir, "out")}\nloss:\n  type: mse\n  teacher: {teacher}\n");
        Assert.Equal(0, InProcessSkald.Run("train", "--config", config, "-q"));
        Assert.Equal(0, OpenFiles.Count(weights));
    }

    [Fact]
    public void InfoQuantizeClassifyAndSearchReleaseTheCrossEncoder()
    {
        if (!OpenFiles.Visible) return;
        string ce = Copy("ce-bert", out string weights), dir = TestPaths.NewTempDir();
        Assert.Equal(0, InProcessSkald.Run("info", "--model", ce));
        Assert.Equal(0, OpenFiles.Count(weights));
        InProcessSkald.Run("quantize", "--model", ce, "--output", Path.Combine(dir, "int8"), "-q"); // (exit 1 on a CPU without int8 kernels, before loading)
        Assert.Equal(0, OpenFiles.Count(weights));
        string pairs = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllText(pairs, "{\"query\": \"Kva tid går ferja?\", \"document\": \"Ferja går kvar time.\"}\n");
        Assert.Equal(0, InProcessSkald.Run("classify", "--model", ce, "--input", pairs, "--output", Path.Combine(dir, "classes.jsonl"), "-q"));
        Assert.Equal(0, OpenFiles.Count(weights));
        string dense = Copy("bert-cased-mean", out string denseWeights), index = Path.Combine(dir, "idx");
        Assert.Equal(0, InProcessSkald.Run("index", "build", "--model", dense, "--documents", Documents, "--output", index, "--language", "nb", "-q"));
        Assert.Equal(0, InProcessSkald.Run("search", "--index", index, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "bm25", "--rerank", ce, "--format", "json"));
        Assert.Equal(0, OpenFiles.Count(weights));
        Assert.Equal(0, OpenFiles.Count(denseWeights));
    }
}
