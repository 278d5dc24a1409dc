using Skald.Models.BgeM3;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald train</c> with <c>loss.type: bge_m3</c>, in process: a 2-step run on the tiny BGE-M3 folder writes a folder
/// that <c>skald encode --bge-m3</c> and <see cref="BgeM3Encoder.Load"/> read as a BGE-M3 folder; a folder with one of
/// the two heads is one line naming the missing file, exit 1; FlagEmbedding files batched one file at a time
/// (data.same_dataset_within_batch) train with their batches' own group sizes and teacher scores.
/// </summary>
public sealed class BgeM3TrainCommandTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Data() => TestPaths.WriteFile(dir, "triplets.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
        $"{{\"query\": \"Når går ferje {i}?\", \"positive\": \"Ferje {i} går kvar time.\", \"negative\": \"Bussen {i} er sein.\"}}\n")));

    private string Config(string model, string output) => TestPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", $"""
        model:
          path: {model}
        data:
          train: {Data()}
        training:
          batch_size: 4
          max_steps: 2
        loss:
          type: bge_m3
          use_self_distill: true
        output:
          dir: {output}
          save_steps: 0
          tensorboard: false
        """);

    [Fact]
    public void TrainWritesABgeM3FolderThatEncodeReads()
    {
        string output = Path.Combine(dir, "run");
        var r = InProcessSkald.Capture("train", "--config", Config(TestPaths.CopyOfFixtureModel("bge-m3-tiny"), output), "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string final = Path.Combine(output, "final");
        Assert.True(BgeM3Encoder.IsBgeM3(final));
        using (var m3 = BgeM3Encoder.Load(final))
            Assert.NotNull(m3.Encode(["Når går ferja?"])[0].Colbert);
        string texts = TestPaths.WriteFile(dir, "texts.txt", "Når går ferja?\n");
        var encode = InProcessSkald.Capture("encode", "--model", final, "--input", texts, "--output", Path.Combine(dir, "lexical.jsonl"), "--bge-m3", "sparse");
        Assert.True(encode.ExitCode == 0, encode.Stderr);
    }

    // FlagEmbedding rows with a teacher's scores whose batches draw 3 or 2 documents (train_group_size by a batch's
    // first row, batch_size 2): a batch of 2 reads the first columns and labels of rows drawn as wide as 3
    private string Sized() => TestPaths.WriteFile(dir, "sized.jsonl", string.Concat(Enumerable.Range(0, 6).Select(i =>
        $"{{\"query\": \"Når går ferje {i}?\", \"pos\": [\"Ferje {i} går kvar time.\"], \"neg\": [\"Bussen {i} er sein.\", \"Toget {i} er innstilt.\", \"Kaffe {i}.\"], " +
        $"\"pos_scores\": [0.9], \"neg_scores\": [0.3, 0.2, 0.1], \"train_group_size\": {3 - i % 2}{(i == 0 ? ", \"batch_size\": 2" : "")}}}\n")));

    [Fact]
    public void SameDatasetBatchesOfMixedGroupSizesTrainBgeM3_WithoutTheOptionTheKeysAreOneLine()
    {
        string folder = Path.Combine(TestPaths.RepoRoot, "fixtures", "training", "same-dataset");
        string[] files = [Sized(), Path.Combine(folder, "only1neg.jsonl"), Path.Combine(folder, "symclass.jsonl")];
        string Yaml(bool sameDataset, string output) => TestPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", $"""
            model:
              path: {TestPaths.FixtureModel("bge-m3-tiny")}
            data:
              train: [{string.Join(", ", files)}]
              train_group_size: 4
              same_dataset_within_batch: {(sameDataset ? "true" : "false")}
            training:
              batch_size: 4
              max_steps: 6
            loss:
              type: bge_m3
            output:
              dir: {output}
              save_steps: 0
              tensorboard: false
            """);
        var r = InProcessSkald.Capture("train", "--config", Yaml(true, Path.Combine(dir, "same")), "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var steps = File.ReadAllLines(Path.Combine(dir, "same", "metrics.jsonl")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("loss", out _)).Select(e => e.GetProperty("loss").GetDouble()).ToList();
        Assert.NotEmpty(steps);
        Assert.All(steps, loss => Assert.True(double.IsFinite(loss) && loss > 0, $"loss {loss}"));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("train", "--config", Yaml(false, Path.Combine(dir, "plain"))), 1,
            $"{files[0]}:1: key 'train_group_size': FlagEmbedding reads a row's train_group_size only in batches of one file");
    }

    [Fact]
    public void AFolderWithOneHeadOfTheTwoIsOneLineNamingTheMissingFile()
    {
        // (a folder with neither head gets new ones, as FlagEmbedding makes them: BgeM3NewHeadsTests)
        string half = TestPaths.CopyOfFixtureModel("bge-m3-tiny");
        File.Delete(Path.Combine(half, "sparse_linear.pt"));
        var r = InProcessSkald.Capture("train", "--config", Config(half, Path.Combine(dir, "half")));
        SkaldProcess.AssertUserError(r, 1, $"loss.type bge_m3: {Path.Combine(half, "sparse_linear.pt")}: not found");
    }
}
