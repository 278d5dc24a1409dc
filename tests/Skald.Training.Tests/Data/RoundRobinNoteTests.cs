using Skald.Training.Data;

namespace Skald.Training.Tests.Data;

/// <summary>
/// round_robin over files of unequal size ends each epoch when the smallest runs out (sentence-transformers' sampler
/// does too): the run says how many rows of the larger files go unseen instead of leaving "training on N rows" to hide it.
/// </summary>
public sealed class RoundRobinNoteTests
{
    private static TextDataset Rows(string name, int count) =>
        new(name, ["anchor", "positive"], [.. Enumerable.Range(0, count).Select(i => new[] { $"a{name}{i}", $"p{name}{i}" })]);

    [Fact]
    public void UnequalFilesUnderRoundRobinNameTheRowsLeftOut()
    {
        string? note = BatchPlanner.RoundRobinNote([Rows("big.jsonl", 714), Rows("small.jsonl", 16)], 8, "round_robin");
        Assert.Equal("note: data.sampling round_robin ends each epoch when small.jsonl runs out (2 batches of each file), so rows go unseen " +
            "every epoch (big.jsonl 698 of 714); data.sampling: proportional draws every row", note);
        // the plan itself agrees: 2 batches of each file an epoch
        var plan = BatchPlanner.PlanEpoch([Rows("big.jsonl", 714), Rows("small.jsonl", 16)], 8, true, false, "round_robin", 1, 0);
        Assert.Equal(4, plan.Count);
    }

    [Fact]
    public void EqualBatchCountsProportionalAndOneFileGetNoNote()
    {
        Assert.Null(BatchPlanner.RoundRobinNote([Rows("a", 17), Rows("b", 24)], 8, "round_robin")); // 3 batches each
        Assert.Null(BatchPlanner.RoundRobinNote([Rows("a", 714), Rows("b", 16)], 8, "proportional"));
        Assert.Null(BatchPlanner.RoundRobinNote([Rows("a", 714)], 8, "round_robin"));
    }
}
