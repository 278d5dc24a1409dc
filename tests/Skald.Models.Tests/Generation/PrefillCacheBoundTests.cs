using Skald.Models.Architectures;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// The joining prompts' prefill cache is memory beside the batch's: four short prompts prefilled at once and later one
/// long one leave it one long row (as the long prompt alone needs), not four rows as long as the long prompt.
/// </summary>
public sealed class PrefillCacheBoundTests
{
    // The caches' bytes once `first` has decoded with `joins` handed to the rows offered, in order.
    private static long CacheBytes(IDecoder decoder, int[][] joins)
    {
        var generator = new Generator(decoder, ids => string.Join(",", ids), 0, []);
        int given = 0;
        var continuous = new ContinuousBatching
        {
            Rows = 5,
            Capacity = 64,
            Next = (_, _, _) => given == joins.Length ? null : new GenerationJoin(joins[given++], new GenerationOptions { MaxNewTokens = 2 }),
        };
        generator.Generate([[.. Enumerable.Range(5, 40)]], [new GenerationOptions { MaxNewTokens = 20 }], null, null, null, null, continuous);
        Assert.Equal(joins.Length, given);
        return generator.CacheBytes;
    }

    [Fact]
    public void ManyShortPromptsThenOneLongOneDoNotLeaveAsManyLongRows()
    {
        var decoder = (IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-qwen2"));
        int[] longPrompt = [.. Enumerable.Range(20, 38)];
        Assert.Equal(CacheBytes(decoder, [longPrompt]), CacheBytes(decoder, [[3, 4], [5, 6], [7, 8], [9, 10], longPrompt]));
    }
}
