using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// A joining prompt whose prefill pass fails (here an id past the vocabulary, which the embedding lookup refuses after the
/// prefill cache began its ragged step) fails that call only: the generator's next call prefills its joining prompts as
/// a fresh generator does (the prefill cache is kept between calls, so a step left half begun must not outlive the call).
/// </summary>
public sealed class JoinPrefillFailureTests
{
    [Fact]
    public void AFailedJoiningPrefillLeavesTheNextCallAsAFreshGeneratorWouldRun()
    {
        int[][] joins = [[7, 7, 2, 30, 150, 11]];
        var (_, want) = BatchedPrefillTests.Run(GenerationParityTests.Load("decoder-qwen2", out _), 0, onePerPass: false, joins);
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        Assert.ThrowsAny<Exception>(() => BatchedPrefillTests.Run(generator, 0, onePerPass: false, [[7, 7, 2, 1_000_000, 150, 11]]));
        var (_, got) = BatchedPrefillTests.Run(generator, 0, onePerPass: false, joins);
        BatchedPrefillTests.SameLogProbs(want[0], got[0]);
    }
}
