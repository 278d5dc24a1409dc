using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Prompts prefilled together in one ragged pass do not see each other: changing one prompt's tokens leaves every other
/// prompt's tokens and log-probabilities bit for bit the same (no leak between rows, on every decoder fixture, whole and
/// chunked); a prompt of one token, more joining prompts than the batch has rows (rows taken again as requests end),
/// and a chunk ending exactly at a prompt's end each give every prompt its tokens and log-probabilities alone.
/// </summary>
public sealed class RaggedPrefillIsolationTests
{
    private static readonly int[][] Joining = BatchedPrefillTests.Joining;
    private static readonly int[] Changed = [44, 1, 90, 12]; // the second prompt's length, other tokens

    public static TheoryData<string, int> FoldersAndChunks()
    {
        var data = new TheoryData<string, int>();
        foreach (string folder in GenerationParityTests.Folders)
        {
            foreach (int chunk in new[] { 0, 3 }) data.Add(folder, chunk);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(FoldersAndChunks))]
    public void ChangingOnePromptChangesNoOtherPromptsLogProbsAtAll(string name, int chunk)
    {
        var generator = GenerationParityTests.Load(name, out _);
        var (_, before) = BatchedPrefillTests.Run(generator, chunk, onePerPass: false);
        var (_, after) = BatchedPrefillTests.Run(generator, chunk, onePerPass: false, [Joining[0], Changed, Joining[2]]);
        Assert.True(!before[1].Ids.SequenceEqual(after[1].Ids) || before[1].LogProbs![0].Chosen.LogProb != after[1].LogProbs![0].Chosen.LogProb,
            "the changed prompt's own result changes");
        foreach (int i in new[] { 0, 2 })
        {
            Assert.Equal(before[i].Ids, after[i].Ids);
            for (int t = 0; t < before[i].Ids.Length; t++)
            {
                Assert.Equal(before[i].LogProbs![t].Chosen.LogProb, after[i].LogProbs![t].Chosen.LogProb); // exactly
                Assert.Equal(before[i].LogProbs![t].Top.Select(x => x.LogProb), after[i].LogProbs![t].Top.Select(x => x.LogProb));
            }
        }
    }

    [Theory]
    [InlineData("decoder-qwen2", 0, 0)]
    [InlineData("decoder-mistral", 0, 0)]
    [InlineData("decoder-gemma2", 0, 0)]
    [InlineData("decoder-qwen2", 9, 0)]  // the first chunk ends exactly at the first prompt's end
    [InlineData("decoder-qwen2", 13, 0)] // the second chunk of the budget ends exactly at the second prompt's end
    [InlineData("decoder-qwen2", 0, 3)]  // six prompts, two rows beside the batch's own: rows taken again
    [InlineData("decoder-gemma3", 4, 3)]
    public void OneTokenPromptsBoundaryChunksAndMorePromptsThanRowsGetTheirSoloResults(string name, int chunk, int rows)
    {
        var generator = GenerationParityTests.Load(name, out _);
        int[][] joins = [Joining[0], [42], Joining[1], [9], Joining[2], [250]];
        var (_, together) = BatchedPrefillTests.Run(generator, chunk, onePerPass: false, joins, rows);
        for (int i = 0; i < joins.Length; i++)
        {
            var alone = generator.Generate([joins[i]], BatchedPrefillTests.Options with { UseCache = false })[0];
            BatchedPrefillTests.SameLogProbs(alone, together[i]);
        }
    }
}
