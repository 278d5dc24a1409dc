using Skald.Models.Architectures;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// What a batch's other rows do to a row: one with no new tokens to make (max new tokens 0) is left out of the batch
/// from the start, its prompt neither prefilled nor padded to (the rows of the first pass are counted; the old code
/// prefilled it), and the others get the tokens of the batch without it; and above 16 rows, as rows leave, a long
/// row's logits stay those of the batch whose rows all ran to the end, bit for bit (the old code switched its products
/// from the packed GEMM to the few-row one when no more than 16 were left), with float32 weights and with bfloat16 ones,
/// and its tokens are its solo ones, for batch sizes on both sides of 16.
/// </summary>
public sealed class BatchCompositionTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ARowWithNoNewTokensIsLeftOutOfThePrefill(bool cache)
    {
        var recording = new RecordingDecoder((IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-llama3")));
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        int[] a = [5, 9, 12, 3], none = [7, 7, 2, 30, 8, 8, 1, 40, 2], c = [250, 3, 3, 60, 61];
        var plain = new GenerationOptions { MaxNewTokens = 5, EosTokenIds = [], UseCache = cache };
        var without = generator.Generate([a, c], [plain, plain]);
        recording.Passes.Clear();
        var results = generator.Generate([a, none, c], [plain, plain with { MaxNewTokens = 0 }, plain]);
        Assert.Equal((2, c.Length), recording.Passes[0]); // two rows, padded to the longer of theirs
        Assert.All(recording.Passes, p => Assert.Equal(2, p.Rows));
        Assert.Equal(without[0].Ids, results[0].Ids);
        Assert.Equal(without[1].Ids, results[2].Ids);
        Assert.Empty(results[1].Ids);
        Assert.Equal(FinishReason.Length, results[1].FinishReason);

        recording.Passes.Clear();
        var nothing = generator.Generate([none], [plain with { MaxNewTokens = 0 }]);
        Assert.Empty(recording.Passes);
        Assert.Empty(nothing[0].Ids);
    }

    // 20 prompts of the same length (no padding between them), greedy, each token's log-probability reported.
    private static (int[][] Prompts, GenerationOptions Options) Batch(int rows)
    {
        var prompts = Enumerable.Range(0, rows).Select(b => new[] { 5 + b, 9, 13, 200, 7, 1 + b % 3, 44, 3 }).ToArray();
        return (prompts, new GenerationOptions { MaxNewTokens = 12, EosTokenIds = [], LogProbs = 0 });
    }

    private static Generator Load(bool bf16)
    {
        var generator = GenerationParityTests.Load("decoder-llama3", out _);
        if (bf16) generator.KeepBf16Only(); // float32 on a CPU without AVX512-BF16
        return generator;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALongRowsLogitsDoNotDependOnHowManyRowsStillRun(bool bf16)
    {
        var generator = Load(bf16);
        var (prompts, options) = Batch(20);
        var all = generator.Generate(prompts, Enumerable.Repeat(options, 20).ToArray());
        // rows 1-19 stop after 2 tokens: row 0 runs alone from its third step on
        var leaving = generator.Generate(prompts, [options, .. Enumerable.Repeat(options with { MaxNewTokens = 2 }, 19)]);
        Assert.Equal(all[0].Ids, leaving[0].Ids);
        Assert.Equal(all[0].LogProbs!.Select(e => e.Chosen.LogProb), leaving[0].LogProbs!.Select(e => e.Chosen.LogProb));
        for (int b = 1; b < 20; b++) Assert.Equal(all[b].Ids.Take(2), leaving[b].Ids);
    }

    [Theory]
    [InlineData(15, false)]
    [InlineData(17, false)]
    [InlineData(20, false)]
    [InlineData(17, true)]
    public void EveryRowGetsItsSoloTokensAsRowsLeave(int rows, bool bf16)
    {
        var generator = Load(bf16);
        var (prompts, options) = Batch(rows);
        var rowOptions = Enumerable.Range(0, rows).Select(b => options with { MaxNewTokens = 2 + b % 11 }).ToArray();
        var batch = generator.Generate(prompts, rowOptions);
        for (int b = 0; b < rows; b++)
        {
            var solo = generator.Generate([prompts[b]], [rowOptions[b]])[0];
            Assert.True(solo.Ids.SequenceEqual(batch[b].Ids), $"row {b} of {rows}: alone [{string.Join(",", solo.Ids)}], in the batch [{string.Join(",", batch[b].Ids)}]");
        }
    }
}
