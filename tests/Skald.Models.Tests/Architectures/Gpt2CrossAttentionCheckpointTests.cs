using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// A GPT-2 checkpoint saved with add_cross_attention (fixtures/models/decoder-gpt2-cross/saved, written by
/// make_gpt2_cross.py as GPT2LMHeadModel.save_pretrained writes a TSDAE decoder) read through the architecture registry:
/// the blocks are the model's own (<see cref="Gpt2.OwnCrossAttention"/>), its decoder pass equals the reference's
/// (expected_cross.json, ref_gpt2.py), its plain pass skips them as transformers does without encoder states, and the
/// model writes them back; without the config flag the keys are left in the file, as transformers leaves unexpected keys.
/// </summary>
public sealed class Gpt2CrossAttentionCheckpointTests
{
    private static string Saved => Path.Combine(TestPaths.FixtureModel("decoder-gpt2-cross"), "saved");

    private static TokenBatch Tokens(JsonElement r)
    {
        var ids = r.GetProperty("input_ids").EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray()).ToArray();
        var mask = r.GetProperty("attention_mask").EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray()).ToArray();
        return new TokenBatch([.. ids.SelectMany(x => x)], [.. mask.SelectMany(x => x)], new int[ids.Length * ids[0].Length], ids.Length, ids[0].Length);
    }

    private static float[] Floats2(JsonElement e) => [.. e.EnumerateArray().SelectMany(row => row.EnumerateArray().Select(x => x.GetSingle()))];

    [Fact]
    public void TheSavedBlocksDecodeAsTheReference()
    {
        var model = Assert.IsType<Gpt2>(ArchitectureRegistry.Load(Saved));
        Assert.NotNull(model.OwnCrossAttention);
        Assert.Equal(2, model.OwnCrossAttention.Count);
        Assert.Contains(model.Parameters, p => p.Name == "h.1.crossattention.c_attn.weight");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.FixtureModel("decoder-gpt2-cross"), "expected_cross.json")));
        var r = doc.RootElement;
        var tokens = Tokens(r);
        var tape = new Tape(recording: false);
        var memory = tape.Constant(Floats2(r.GetProperty("memory")), tokens.Batch, model.HiddenSize);
        var y = model.ForwardDecoder(tape, tokens, memory);
        var expected = Floats2(r.GetProperty("last_hidden_state"));
        int c = model.HiddenSize;
        float worst = 0;
        for (int i = 0; i < tokens.Mask.Length; i++)
            if (tokens.Mask[i] != 0)
                for (int j = 0; j < c; j++) worst = MathF.Max(worst, MathF.Abs(y.Span[i * c + j] - expected[i * c + j]));
        Assert.True(worst <= 1e-5f, $"hidden states: max |diff| {worst}");

        // The plain forward skips the blocks: the same states as the GPT-2 without them.
        var plain = ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-gpt2"));
        Assert.Equal(plain.Forward(new Tape(recording: false), tokens).Span.ToArray(), model.Forward(new Tape(recording: false), tokens).Span.ToArray());
    }

    [Fact]
    public void TheBlocksAreWrittenBackAndLeftInTheFileWithoutTheFlag()
    {
        var model = ArchitectureRegistry.Load(Saved);
        string dir = TestPaths.NewTempDir();
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), model.Parameters.Select(p => StoredLayout.Tensor(p.Name, p, p.Data.ToArray())));
        using (var written = Checkpoint.OpenFolder(dir))
        using (var stored = Checkpoint.OpenFile(Path.Combine(Saved, "model.safetensors"), "transformer."))
        {
            Assert.Equal(stored.Keys.Order(), written.Keys.Order());
            foreach (string key in stored.Keys)
                Assert.Equal(stored.Read(key, stored.Shape(key)), written.Read(key, written.Shape(key)));
        }
        // The same weights under a config without add_cross_attention: a plain GPT-2, as GPT2LMHeadModel loads it.
        string plain = TestPaths.NewTempDir();
        var config = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(Path.Combine(Saved, "config.json")))!;
        config.Remove("add_cross_attention");
        File.WriteAllText(Path.Combine(plain, "config.json"), JsonSerializer.Serialize(config));
        File.Copy(Path.Combine(Saved, "model.safetensors"), Path.Combine(plain, "model.safetensors"));
        var without = Assert.IsType<Gpt2>(ArchitectureRegistry.Load(plain));
        Assert.Null(without.OwnCrossAttention);
        Assert.DoesNotContain(without.Parameters, p => p.Name.Contains("cross", StringComparison.Ordinal));
    }
}
