using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Greedy generation token for token against fixtures/models/make_generate.py (ref_generate.py: plain PyTorch with a KV
/// cache, checked there against full recomputation): with Skald's KV cache and without it (the whole sequence every
/// step), one prompt, three left-padded prompts in one batch, and with a repetition penalty; on Llama 3, Qwen2,
/// Qwen3, Mistral (sliding window 4 on every layer, shorter than the sequences), Gemma 2 (sliding layers, soft-caps) and
/// Gemma 3 (a sliding layer with its own RoPE base); GPT-2 (learned positions; fixtures/models/make_gpt2.py, ref_gpt2.py).
/// </summary>
public sealed class GenerationParityTests
{
    public static TheoryData<string> Folders =>
        ["decoder-llama3", "decoder-qwen2", "decoder-qwen3", "decoder-mistral", "decoder-gemma2", "decoder-gemma3",
            "decoder-gpt2", "decoder-gpt2-sw3"];

    internal sealed record Case(string Name, int[][] Prompts, float Penalty, int MaxNew, int Pad, int[][] Generated);

    internal static List<Case> ReadCases(string folder) =>
        [.. File.ReadLines(Path.Combine(folder, "expected_generate.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return new Case(r.GetProperty("case").GetString()!, Ints2(r.GetProperty("prompts")),
                r.GetProperty("repetition_penalty").GetSingle(), r.GetProperty("max_new_tokens").GetInt32(),
                r.GetProperty("pad_token_id").GetInt32(), Ints2(r.GetProperty("generated")));
        })];

    private static int[][] Ints2(JsonElement e) => [.. e.EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray())];

    internal static Generator Load(string name, out IDecoder decoder, int pad = 0)
    {
        decoder = (IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel(name));
        return new Generator(decoder, ids => string.Join(",", ids), pad, []);
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void GreedyWithAndWithoutCacheEqualsPyTorch(string name)
    {
        var cases = ReadCases(TestPaths.FixtureModel(name));
        Assert.Equal(3, cases.Count);
        foreach (var c in cases)
        {
            var generator = Load(name, out _, c.Pad);
            foreach (bool cache in new[] { true, false })
            {
                var options = new GenerationOptions { MaxNewTokens = c.MaxNew, RepetitionPenalty = c.Penalty, UseCache = cache };
                var results = generator.Generate(c.Prompts, options);
                for (int b = 0; b < c.Prompts.Length; b++)
                {
                    Assert.True(c.Generated[b].SequenceEqual(results[b].Ids),
                        $"{name} {c.Name} row {b} cache {cache}: expected [{string.Join(",", c.Generated[b])}], got [{string.Join(",", results[b].Ids)}]");
                    Assert.Equal(FinishReason.Length, results[b].FinishReason);
                }
            }
        }
    }

    [Fact]
    public void CachedLogitsEqualFullRecomputation()
    {
        // Beyond the argmax: the cached step's hidden state of the newest token equals the full forward's last row.
        var generator = Load("decoder-mistral", out var decoder);
        int[] prompt = [5, 9, 13, 200, 7, 1, 44];
        var tokens = generator.Generate([prompt], new GenerationOptions { MaxNewTokens = 6 })[0].Ids;
        int[] all = [.. prompt, .. tokens];
        var full = decoder.Forward(new Tensors.Autograd.Tape(recording: false),
            new TokenBatch(all, [.. all.Select(_ => 1)], new int[all.Length], 1, all.Length));
        var cache = new KvCache(decoder.Config, 1, all.Length);
        var tape = new Tensors.Autograd.Tape(recording: false);
        decoder.Forward(tape, new TokenBatch(prompt, [.. prompt.Select(_ => 1)], new int[prompt.Length], 1, prompt.Length), cache);
        float[] last = [];
        foreach (int id in tokens)
        {
            tape.Reset();
            last = decoder.Forward(tape, new TokenBatch([id], [1], [0], 1, 1), cache).Span.ToArray();
        }
        int c = decoder.HiddenSize;
        var expected = full.Span.Slice((all.Length - 1) * c, c);
        for (int i = 0; i < c; i++) Assert.True(Math.Abs(expected[i] - last[i]) < 1e-5f, $"dim {i}: {expected[i]} vs {last[i]}");
        Assert.Equal(all.Length, cache.Length);
        Assert.Equal(all.Length, cache.RealTokens(0));
    }

    [Fact]
    public void SamplingIsReproducibleAndDependsOnTheSeed()
    {
        var generator = Load("decoder-qwen2", out _);
        int[][] prompts = [[3, 17, 40, 99], [8, 8, 120], [250, 3, 3, 3, 60, 61]];
        GenerationResult[] Run(ulong seed) =>
            generator.Generate(prompts, new GenerationOptions { MaxNewTokens = 16, Temperature = 3f, TopP = 0.95f, Seed = seed });
        var a = Run(1);
        var b = Run(1);
        var c = Run(2);
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(a[i].Ids, b[i].Ids);
        Assert.Contains(Enumerable.Range(0, prompts.Length), i => !a[i].Ids.SequenceEqual(c[i].Ids));
        // A row's stream is its own: sampled alone (as row index 2) it gives what it gave in the batch.
        var alone = generator.Generate([prompts[2]], new GenerationOptions { MaxNewTokens = 16, Temperature = 3f, TopP = 0.95f, Seed = 1 },
            rowIndices: [2]);
        Assert.Equal(a[2].Ids, alone[0].Ids);
    }

    [Fact]
    public void TopKOneEqualsGreedy()
    {
        var generator = Load("decoder-llama3", out _);
        int[][] prompts = [[3, 17, 40, 99], [8, 8, 120]];
        var greedy = generator.Generate(prompts, new GenerationOptions { MaxNewTokens = 10, RepetitionPenalty = 1.2f });
        var topOne = generator.Generate(prompts, new GenerationOptions { MaxNewTokens = 10, RepetitionPenalty = 1.2f, Temperature = 0.7f, TopK = 1, Seed = 5 });
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(greedy[i].Ids, topOne[i].Ids);
    }

    [Fact]
    public void StopsAtEosStopStringsAndTheContext()
    {
        var generator = Load("decoder-llama3", out var decoder);
        int[] prompt = [3, 17, 40, 99];
        var free = generator.Generate([prompt], new GenerationOptions { MaxNewTokens = 8 })[0];
        // An end-of-sequence id: the row stops right after producing it (the id is kept, as transformers returns it).
        var eos = generator.Generate([prompt], new GenerationOptions { MaxNewTokens = 8, EosTokenIds = [free.Ids[2]] })[0];
        Assert.Equal(FinishReason.Eos, eos.FinishReason);
        Assert.Equal(free.Ids[..(Array.IndexOf(free.Ids, free.Ids[2]) + 1)], eos.Ids);
        // A stop string (this test's decoder joins ids with commas): the text is cut before it.
        string stop = $"{free.Ids[3]}";
        var stopped = generator.Generate([prompt], new GenerationOptions { MaxNewTokens = 8, StopStrings = [stop] })[0];
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        string full = string.Join(",", stopped.Ids);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
        // The context (max_position_embeddings) bounds prompt + new tokens; a prompt that fills it is refused.
        int context = decoder.MaxSequenceLength;
        var longPrompt = Enumerable.Range(0, context - 3).Select(i => 1 + i % 200).ToArray();
        var capped = generator.Generate([longPrompt], new GenerationOptions { MaxNewTokens = 50 })[0];
        Assert.Equal(3, capped.Ids.Length);
        Assert.Equal(FinishReason.Length, capped.FinishReason);
        var error = Assert.Throws<ArgumentException>(() => generator.Generate([prompt, new int[context]], new GenerationOptions()));
        Assert.Contains("row 2", error.Message);
    }
}
