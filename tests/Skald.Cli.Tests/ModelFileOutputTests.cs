namespace Skald.Cli.Tests;

/// <summary>
/// An <c>--output</c> that names a file of the model folder the verb loads (its config, tokenizer, weights or any other
/// file there) is one line and the file stays as it was; before, <c>encode</c>, <c>evaluate</c>, <c>mine</c> and
/// <c>data mine-negatives</c> wrote over it.
/// </summary>
public sealed class ModelFileOutputTests
{
    [Fact]
    public void EncodeAndEvaluateDoNotWriteOverAFileOfTheModelFolder()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean"), dir = TestPaths.NewTempDir();
        string texts = Path.Combine(dir, "texts.txt");
        File.WriteAllText(texts, "Fjorden ligg stille.\nBussen går 07:45 frå kaia.\n");
        string target = Directory.GetFiles(model, "*.jsonl").First(); // a file of the folder with an extension encode writes
        byte[] before = File.ReadAllBytes(target);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", model, "--input", texts, "--output", target), 2,
            "--output", "is a file of the model folder");
        Assert.Equal(before, File.ReadAllBytes(target));

        string config = Path.Combine(model, "config.json");
        before = File.ReadAllBytes(config);
        string task = BeirFolder.Write("{\"_id\": \"d0\", \"text\": \"Fjorden ligg stille.\"}\n{\"_id\": \"d1\", \"text\": \"Bussen går.\"}\n",
            "{\"_id\": \"q1\", \"text\": \"Når går bussen?\"}\n", "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", model, "--task", task, "--output", config), 2,
            "--output", "is a file of the model folder");
        Assert.Equal(before, File.ReadAllBytes(config));

        // a new file inside the folder is still allowed
        string inside = Path.Combine(model, "new.jsonl");
        var ok = InProcessSkald.Capture("encode", "--model", model, "--input", texts, "--output", inside);
        Assert.True(ok.ExitCode == 0, ok.Stderr);
    }

    [Fact]
    public void MiningDoesNotWriteOverAFileOfTheModelFolder()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean"), dir = TestPaths.NewTempDir();
        string texts = Path.Combine(dir, "texts.txt"), pairs = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllText(texts, "Fjorden ligg stille.\nBussen går 07:45 frå kaia.\nBussen går klokka sju.\n");
        File.WriteAllText(pairs, "{\"anchor\": \"Når går bussen?\", \"positive\": \"Bussen går 07:45.\"}\n{\"anchor\": \"Fjorden\", \"positive\": \"Fjorden ligg stille.\"}\n");
        string target = Directory.GetFiles(model, "*.jsonl").First();
        byte[] before = File.ReadAllBytes(target);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("mine", "paraphrases", "--model", model, "--input", texts, "--output", target), 2,
            "is a file of the model folder");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("data", "mine-negatives", "--data", pairs, "--model", model, "--output", target), 2,
            "is a file of the model folder");
        Assert.Equal(before, File.ReadAllBytes(target));
    }
}
