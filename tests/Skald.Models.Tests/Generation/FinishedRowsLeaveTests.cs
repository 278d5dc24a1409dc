using Skald.Models.Architectures;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// A row that is done leaves the batch's steps (vLLM and TGI drop finished sequences; transformers' generate pads
/// them): in a batch whose rows end at different steps — by their own max new tokens, by what their own prompt leaves
/// of the context, by an end-of-sequence id (where the fixture's row makes a new id after its third token) and by a
/// stop string — each step computes only the rows still decoding (the rows of every forward pass are counted; they
/// were all five to the end before), with the KV cache and without it, greedy and seeded sampling, on every decoder
/// fixture; and every row gets the tokens it gets alone. A request joining in the place of a row that finished in the
/// middle of the batch (not at its end, as before) gets its solo tokens too.
/// </summary>
public sealed class FinishedRowsLeaveTests
{
    public static TheoryData<string, bool, bool> Cases
    {
        get
        {
            var cases = new TheoryData<string, bool, bool>();
            foreach (string name in GenerationParityTests.Folders)
            foreach (bool cache in new[] { true, false })
            foreach (bool sampled in new[] { false, true })
                cases.Add(name, cache, sampled);
            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachStepComputesTheRowsStillDecodingAndEveryRowGetsItsSoloTokens(string name, bool cache, bool sampled)
    {
        var recording = new RecordingDecoder((IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel(name)));
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        int context = recording.MaxSequenceLength;
        var prompts = new[]
        {
            new[] { 5, 9, 12, 3, 44, 17 },                                  // long: its max new tokens
            new[] { 7, 7, 2, 30 },                                          // its own max new tokens, 3
            Enumerable.Range(0, context - 6).Select(i => 1 + i % 200).ToArray(), // the 6 tokens its prompt leaves
            new[] { 250, 3, 3, 60, 61, 8 },                                 // an end-of-sequence id
            new[] { 40, 99, 17, 3 },                                        // a stop string
        };
        var plain = new GenerationOptions
        {
            MaxNewTokens = 16, UseCache = cache, EosTokenIds = [], RepetitionPenalty = 1.5f, // the fixtures repeat themselves without
            Temperature = sampled ? 0.9f : 0f, TopK = sampled ? 40 : 0, Seed = 11,
        };
        GenerationResult Alone(int b, GenerationOptions options) => generator.Generate([prompts[b]], [options], [b])[0];
        // each row alone without ends, to pick the ends from: an id row 3 makes first at its 4th to 11th token (one no
        // other row makes if there is one; a fixture whose row 3 repeats one id ends it at 9 tokens instead), and a
        // stop string of row 4's text
        var free = Enumerable.Range(0, prompts.Length).Select(b => Alone(b, b == 1 ? plain with { MaxNewTokens = 3 } : plain).Ids).ToArray();
        var firsts = Enumerable.Range(3, 8).Where(k => Array.IndexOf(free[3], free[3][k]) == k).Select(k => free[3][k]).ToArray();
        int[] eos = [.. firsts.Where(t => free.Where((_, b) => b != 3).All(o => !o.Contains(t))).Concat(firsts).Take(1)];
        string stop = $",{free[4][8]},{free[4][9]}";
        var options = new[]
        {
            plain with { EosTokenIds = eos },
            plain with { EosTokenIds = eos, MaxNewTokens = 3 },
            plain with { EosTokenIds = eos },
            plain with { EosTokenIds = eos, MaxNewTokens = eos.Length > 0 ? 16 : 9 },
            plain with { EosTokenIds = eos, StopStrings = [stop] },
        };
        var solo = Enumerable.Range(0, prompts.Length).Select(b => Alone(b, options[b])).ToArray();
        Assert.Equal(eos.Length > 0 ? FinishReason.Eos : FinishReason.Length, solo[3].FinishReason);
        Assert.Equal(FinishReason.Stop, solo[4].FinishReason);
        int[] lengths = [.. solo.Select(r => r.Ids.Length)];
        Assert.True(lengths.Distinct().Count() >= 3, $"{name}: the rows should end at different steps, got [{string.Join(",", lengths)}]");

        recording.Passes.Clear();
        var results = generator.Generate(prompts, options);
        for (int b = 0; b < prompts.Length; b++)
        {
            Assert.True(solo[b].Ids.SequenceEqual(results[b].Ids),
                $"{name} row {b}: alone [{string.Join(",", solo[b].Ids)}], in the batch [{string.Join(",", results[b].Ids)}]");
            Assert.Equal(solo[b].Text, results[b].Text);
            Assert.Equal(solo[b].FinishReason, results[b].FinishReason);
        }
        // the first pass runs every prompt; step n (n ≥ 1) the rows with more than n tokens, each one token (with the
        // cache) or its whole sequence so far (without)
        int t0 = prompts.Max(p => p.Length);
        var expected = new List<(int, int)> { (prompts.Length, t0) };
        for (int n = 1; n < lengths.Max(); n++) expected.Add((lengths.Count(l => l > n), cache ? 1 : t0 + n));
        Assert.Equal(expected, recording.Passes);
    }

    [Fact]
    public void ARequestJoiningWhereARowInTheMiddleFinishedGetsItsSoloTokens()
    {
        var recording = new RecordingDecoder((IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-qwen2")));
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        int[] a = [5, 9, 12, 3, 44, 17], b = [7, 7, 2, 30], c = [250, 3, 3, 60, 61, 8], joining = [40, 99, 17, 3, 8];
        GenerationOptions Max(int n) => new() { MaxNewTokens = n };
        var solo = new[] { (a, 10), (b, 2), (c, 6), (joining, 3) }.Select(p => generator.Generate([p.Item1], Max(p.Item2))[0].Ids).ToArray();
        bool middleDone = false, given = false;
        GenerationResult? joined = null;
        var continuous = new ContinuousBatching
        {
            Rows = 3,
            Capacity = 64,
            Next = (row, _, _) =>
            {
                if (given || !middleDone) return null;
                Assert.Equal(1, row); // the middle row's place
                given = true;
                return new GenerationJoin(joining, Max(3));
            },
        };
        recording.Passes.Clear();
        var results = generator.Generate([a, b, c], [Max(10), Max(2), Max(6)], null, null, null, (row, result) =>
        {
            if (row == 1 && !given) middleDone = true;
            else if (row == 1) joined = result;
        }, continuous);
        Assert.Equal(solo[0], results[0].Ids);
        Assert.Equal(solo[1], results[1].Ids);
        Assert.Equal(solo[2], results[2].Ids);
        Assert.NotNull(joined);
        Assert.Equal(solo[3], joined.Ids);
        // the prefill; a step of all three (b's second token ends it); b's place taken by the joining prompt's own
        // prefill, then two steps of three (its tokens 2 and 3); two of a and c (c's tokens 5 and 6); a alone to its 10th
        (int, int)[] expected = [(3, a.Length), (3, 1), (1, joining.Length), (3, 1), (3, 1), (2, 1), (2, 1), .. Enumerable.Repeat((1, 1), 4)];
        Assert.Equal(expected, recording.Passes);
    }
}
