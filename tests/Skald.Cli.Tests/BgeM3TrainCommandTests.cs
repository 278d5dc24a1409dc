using Skald.Models.BgeM3;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald train</c> with <c>loss.type: bge_m3</c>, in process: a 2-step run on the tiny BGE-M3 folder writes a folder
/// that <c>skald encode --bge-m3</c> and <see cref="BgeM3Encoder.Load"/> read as a BGE-M3 folder; a folder with one of
/// the two heads is one line naming the missing file, exit 1.
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
