using Skald.Models.Architectures;
using Skald.Models.Generation;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;

namespace Skald.Models.Tests.Allocation;

/// <summary>
/// "Steady-state loops allocate nothing", counted over the whole process (the kernels run on the engine's workers too):
/// the bytes of the decoding steps from a row's token W + N to its token W + 2N (the bytes up to token W + 2N less
/// those up to W + N), at batch 1 and at a batch of 4 through continuous batching, greedy, sampled, with
/// log-probabilities, with a JSON constraint, with int8 weights and with stop strings; and the bytes of an encoder's forward passes over 2N
/// batches of one shape less those over N, with padding (skipped: unpadded rows) and without. Each case is the least of
/// several runs after warm-up runs (the JIT's later tiers).
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class SteadyStateAllocationTests
{
    private const int Warm = 6, N = 12, Runs = 6, MaxRuns = 24;

    private static readonly int[][] Prompts = [[5, 9, 12, 3, 44, 17], [7, 7, 2, 30], [3, 17, 40, 99], [250, 3, 3, 3, 60, 61, 8]];

    private static readonly GenerationOptions Greedy = new() { MaxNewTokens = Warm + 2 * N };

    private static readonly GenerationOptions Sampled = Greedy with { Temperature = 1.3f, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.2f, Seed = 7 };

    public static TheoryData<string, int> Cases => new()
    {
        { "greedy", 1 }, { "sampled", 1 }, { "logprobs", 1 }, { "json", 1 },
        { "greedy", 4 }, { "sampled", 4 }, { "logprobs", 4 }, { "json", 4 }, { "int8", 1 }, { "int8", 4 },
        { "stops", 1 }, { "stops", 4 },
    };

    private static GenerationOptions Options(string kind) => kind switch
    {
        "greedy" or "int8" => Greedy,
        "sampled" => Sampled,
        "logprobs" => Sampled with { LogProbs = 3 },
        // stop strings (one with a multi-byte character) the fixture's text does not reach in the window
        "stops" => Greedy with { StopStrings = ["</answer-7>", "\n\nUser 7:", "Åøx§"] },
        // a seed whose four rows all keep their objects open through the window (the fixture's JSON is random)
        _ => Greedy with { Format = OutputFormat.JsonObject, Temperature = 0.7f, Seed = 7 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ADecodingStepAllocatesNothingButTheEntriesItReports(string kind, int batch)
    {
        string folder = TestPaths.FixtureModel("decoder-qwen2");
        var decoder = (IDecoder)ArchitectureRegistry.Load(folder);
        var tokenizer = Tokenizer.FromFile(Path.Combine(folder, "tokenizer.json"));
        // stop strings are looked for in the real text (decoded only where one is found)
        var generator = new Generator(decoder, kind == "stops" ? ids => tokenizer.Decode(ids) : _ => "", 0, [], tokenizer.TokenBytes);
        if (kind == "int8") generator.KeepInt8Only(); // int8 weights and products (float32 kept on a CPU without int8 kernels)
        var options = Options(kind);
        var prompts = Prompts[..batch];
        // batch 4 decodes through continuous batching, with nobody waiting to join
        var joining = batch > 1 ? new ContinuousBatching { Rows = batch, Capacity = 64, Next = static (_, _, _) => null } : null;
        long least = long.MaxValue;
        for (int run = 0; run < 3 + Runs; run++)
        {
            var marks = new long[2];
            int tokens = 0;
            var results = generator.Generate(prompts, [.. prompts.Select(_ => options)], null, (b, _) =>
            {
                if (b != 0) return;
                tokens++;
                if (tokens == Warm + N) marks[0] = GC.GetTotalAllocatedBytes(precise: true);
                else if (tokens == Warm + 2 * N) marks[1] = GC.GetTotalAllocatedBytes(precise: true);
            }, joining: joining);
            Assert.All(results, r => Assert.Equal(Warm + 2 * N, r.Ids.Length)); // every row decoded through the window
            if (run >= 3) least = Math.Min(least, marks[1] - marks[0]); // runs 0..2 warm up
        }
        // What a step must allocate: with log-probabilities, each row's entry that its result keeps (the object and its
        // array of the 3 most likely tokens); nothing else.
        long kept = options.LogProbs is { } top ? batch * EntryBytes(top) : 0;
        Assert.True(least == N * kept, $"{kind}, batch {batch}: {least / (double)N:F1} bytes a step, {kept} expected");
    }

    [Theory]
    [InlineData("bert-cased-mean", false)]
    [InlineData("bert-cased-mean", true)]
    [InlineData("norbert3-tiny-st", false)] // NorBERT3: relative attention, GeGLU and plain layer norms
    [InlineData("norbert3-tiny-st", true)]
    [InlineData("norbert4-tiny", false)]
    [InlineData("norbert4-tiny", true)]
    [InlineData("gte-multilingual-tiny", true)] // GTE: RoPE on the fused qkv, gated MLP, post-norms (its tokenizer pads these texts)
    [InlineData("gte-logn-tiny", true)] // GTE with logn_attention_scale: the per-row query factors live on the tape
    [InlineData("splade-bert-tiny", false)] // a sparse encoder: SPLADE pooling over the vocabulary
    [InlineData("splade-bert-tiny", true)]
    public void AnEncoderPassOverBatchesOfOneShapeAllocatesNothing(string model, bool padding)
    {
        using var encoder = SentenceEncoder.Load(TestPaths.FixtureModel(model));
        string[] texts = padding
            ? ["Fjell og fjord", "Et langt dokument om norske fjell og daler, skrevet for testen", "kort", "Søk etter svar"]
            : ["Fjell og fjord 1", "Fjell og fjord 2", "Fjell og fjord 3", "Fjell og fjord 4"];
        // one padded batch, as Encode pads each batch of texts (its ids and masks are that batch's input, made once)
        var tokens = TokenBatch.Pad(encoder.Prepare(texts).Encodings, encoder.PadId, encoder.PaddingSide);
        // with padding the pass runs the real tokens only (unpadded rows, whose indices the tape lends); without, all rows
        Assert.Equal(padding, tokens.Mask.Contains(0));
        // set as Encode's own tape is (packing, the AMX weight-piece rule, direct attention): on an AMX host a small
        // model holds its weights' pieces, a path a tape left at HoldWeightPieces false would never measure
        var tape = new Tape(recording: false);
        encoder.ConfigureInference(tape);
        Assert.True(tape.PackWeights && tape.HoldWeightPieces && tape.DirectAttention);
        long Passes(int count)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < count; i++)
            {
                tape.Reset();
                encoder.Forward(tape, tokens, normalize: true);
            }
            return GC.GetTotalAllocatedBytes(precise: true) - before;
        }
        Passes(2 * N); // warm: the tape's arena and the kernels' buffers exist
        // the least of several windows of each length: other threads' stray bytes (a finaliser, a timer) only add to one
        // On a loaded host stray bytes can land in every one of a few windows (a 2N window twice as often as an N one),
        // so more windows are taken while the two differ, up to MaxRuns; bytes each pass allocates show in every window.
        long leastN = long.MaxValue, least2N = long.MaxValue;
        for (int run = 0; run < MaxRuns && (run < Runs || least2N != leastN); run++)
        {
            leastN = Math.Min(leastN, Passes(N));
            least2N = Math.Min(least2N, Passes(2 * N));
        }
        Assert.True(least2N == leastN, $"{(least2N - leastN) / (double)N:F1} bytes a pass");
    }

    // The bytes one reported entry with `top` alternatives holds, as the result keeps it.
    private static long EntryBytes(int top)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(new TokenLogProbs(default, new TokenLogProb[top]));
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
