using Skald.Models.Architectures;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// The prompts of several requests joining between two steps are prefilled in one forward pass over their concatenated
/// unpadded tokens (a ragged step of the KV cache), whole or in chunks: each gets the
/// tokens and log-probabilities it gets alone without a cache, and those it gets prefilled one request a pass, on every
/// decoder fixture (Mistral's sliding window of 4 and Gemma's sliding layers included), with prompts of different
/// lengths, unchunked and with chunks that cut them (a prompt going on beside others' first chunks, the prefill cache
/// growing while one is in progress).
/// </summary>
public sealed class BatchedPrefillTests
{
    // the batch's own prompt (10 tokens: the joining ones fit beside it from the first step on) and three joining ones
    private static readonly int[] First = [5, 9, 12, 3, 44, 17, 60, 2, 81, 33];
    internal static readonly int[][] Joining = [[7, 7, 2, 30, 150, 11, 93, 4, 28], [3, 17, 40, 99], [250, 3, 3, 3, 60, 61, 8]];

    internal static readonly GenerationOptions Options = new() { MaxNewTokens = 6, LogProbs = 2 };

    public static TheoryData<string, int> FoldersAndChunks()
    {
        var data = new TheoryData<string, int>();
        foreach (string folder in GenerationParityTests.Folders)
        {
            foreach (int chunk in new[] { 0, 1, 5, 16 }) data.Add(folder, chunk);
        }
        return data;
    }

    // Decodes First and hands the joining requests (Joining unless `joins`) to the rows offered, all at the first offers
    // (`onePerPass`: one a pass between steps, as before prompts were prefilled together); the joined results in their order.
    internal static (GenerationResult First, GenerationResult[] Joined) Run(Generator generator, int chunk, bool onePerPass,
        int[][]? joins = null, int rows = 0)
    {
        var joining = joins ?? Joining;
        int given = 0, steps = 0, givenAt = -1;
        var rowOf = new int[joining.Length];
        var joined = new GenerationResult?[joining.Length];
        var continuous = new ContinuousBatching
        {
            Rows = rows > 0 ? rows : 1 + joining.Length,
            Capacity = 64,
            PrefillChunk = chunk,
            Next = (row, _, _) =>
            {
                if (given == joining.Length || (onePerPass && givenAt == steps)) return null;
                (givenAt, rowOf[given]) = (steps, row);
                return new GenerationJoin(joining[given++], Options);
            },
        };
        var results = generator.Generate([First], [new GenerationOptions { MaxNewTokens = 30 }], null,
            (b, _) => steps += b == 0 ? 1 : 0, null, (b, r) =>
            {
                int i = given == 0 ? -1 : Array.LastIndexOf(rowOf, b, given - 1); // a row's latest request (rows are taken again)
                if (b != 0 && i >= 0) joined[i] = r;
            }, continuous);
        Assert.Equal(joining.Length, given);
        Assert.All(joined, Assert.NotNull);
        return (results[0], [.. joined.Select(r => r!)]);
    }

    // The same ids, and log-probabilities (chosen and top) within float tolerance.
    internal static void SameLogProbs(GenerationResult want, GenerationResult got)
    {
        Assert.Equal(want.Ids, got.Ids);
        for (int i = 0; i < want.Ids.Length; i++)
        {
            var (w, g) = (want.LogProbs![i], got.LogProbs![i]);
            Assert.Equal(w.Chosen.LogProb, g.Chosen.LogProb, 1e-4f);
            Assert.Equal(w.Top.Select(t => t.Id), g.Top.Select(t => t.Id));
            for (int k = 0; k < w.Top.Count; k++) Assert.Equal(w.Top[k].LogProb, g.Top[k].LogProb, 1e-4f);
        }
    }

    [Theory]
    [MemberData(nameof(FoldersAndChunks))]
    public void PromptsPrefilledTogetherGetTheirSoloTokensAndLogProbs(string name, int chunk)
    {
        var generator = GenerationParityTests.Load(name, out _);
        var (first, together) = Run(generator, chunk, onePerPass: false);
        var (_, apart) = Run(generator, chunk, onePerPass: true);
        for (int i = 0; i < Joining.Length; i++)
        {
            var alone = generator.Generate([Joining[i]], Options with { UseCache = false })[0]; // every step the whole sequence
            SameLogProbs(alone, together[i]);
            SameLogProbs(apart[i], together[i]);
            Assert.Equal(Joining[i].Length, together[i].PromptTokens);
        }
        Assert.Equal(generator.Generate([First], new GenerationOptions { MaxNewTokens = 30 })[0].Ids, first.Ids);
    }

    [Theory]
    [InlineData(0, new[] { 20 })]         // all three whole in one pass
    [InlineData(16, new[] { 16, 4 })]     // 9 + 4 + 3 of the third; its last 4 after the next step
    [InlineData(5, new[] { 5, 5, 5, 5 })] // 5 of the first; its 4 + 1 of the second; 3 + 2 of the third; its last 5
    public void TheJoiningPromptsBetweenTwoStepsRunAsOnePass(int chunk, int[] prefills)
    {
        var recording = new RecordingDecoder((IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-qwen2")));
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        Run(generator, chunk, onePerPass: false);
        // after the batch's own prefill, the passes of more than one token are the joining prompts' prefills, one between
        // two steps
        Assert.Equal((1, First.Length), recording.Passes[0]);
        Assert.Equal(prefills, recording.Passes.Skip(1).Where(p => p.Tokens > 1).Select(p => p.Tokens));
        Assert.All(recording.Passes.Skip(1).Where(p => p.Tokens > 1), p => Assert.Equal(1, p.Rows));
    }
}
