using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// GPT-2 as a decoder with add_cross_attention (<see cref="Gpt2.ForwardDecoder(Tape, TokenBatch, Variable, IReadOnlyList{Gpt2.CrossAttention})"/>, <see cref="Gpt2.CrossAttention"/>)
/// against fixtures/models/make_gpt2_cross.py (ref_gpt2.py in float64): decoder-gpt2's weights plus the cross-attention
/// blocks of decoder-gpt2-cross/cross.safetensors reading one memory state per row. Hidden states, TSDAE's loss and
/// the gradients of every parameter and of the memory within 1e-5; the new backward against central differences; the
/// blocks written back in transformers' key names and Conv1D layout.
/// </summary>
public sealed class Gpt2CrossAttentionTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;

    private static (Gpt2 Model, Gpt2.CrossAttention[] Cross, IReadOnlyList<Parameter> CrossParameters, JsonDocument Expected) Load()
    {
        var model = Assert.IsType<Gpt2>(ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-gpt2")));
        string folder = TestPaths.FixtureModel("decoder-gpt2-cross");
        using var weights = Checkpoint.OpenFile(Path.Combine(folder, "cross.safetensors"));
        var p = ParameterBuilder.FromCheckpoint(weights);
        var cross = model.NewCrossAttention(p);
        return (model, cross, p.Parameters, JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected_cross.json"))));
    }

    private static int[][] Ints2(JsonElement e) => [.. e.EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray())];

    private static float[] Floats2(JsonElement e) => [.. e.EnumerateArray().SelectMany(row => row.EnumerateArray().Select(x => x.GetSingle()))];

    private static TokenBatch Tokens(int[][] ids, int[][] mask, int take)
    {
        int b = ids.Length;
        return new TokenBatch([.. ids.SelectMany(r => r.Take(take))], [.. mask.SelectMany(r => r.Take(take))], new int[b * take], b, take);
    }

    [Fact]
    public void HiddenStatesAndGradientsMatchTorchAutograd()
    {
        var (model, cross, crossParameters, doc) = Load();
        using var _ = doc;
        var r = doc.RootElement;
        var ids = Ints2(r.GetProperty("input_ids"));
        var mask = Ints2(r.GetProperty("attention_mask"));
        var tokens = Tokens(ids, mask, ids[0].Length);
        var memoryValues = Floats2(r.GetProperty("memory"));
        var expected = Floats2(r.GetProperty("last_hidden_state"));
        var weights = Floats2(r.GetProperty("weights"));
        var all = model.Parameters.Concat(crossParameters).ToDictionary(p => p.Name);
        int c = model.HiddenSize;
        foreach (bool checkpointing in new[] { false, true })
        {
            foreach (var p in all.Values) p.Grad.Span.Clear();
            var tape = new Tape { Checkpointing = checkpointing };
            var memory = tape.Constant(memoryValues, tokens.Batch, c, requiresGrad: true);
            var y = model.ForwardDecoder(tape, tokens, memory, cross); // [B·T, C]
            float worst = 0;
            for (int i = 0; i < tokens.Mask.Length; i++)
            {
                if (tokens.Mask[i] == 0) continue;
                for (int j = 0; j < c; j++) worst = MathF.Max(worst, MathF.Abs(y.Span[i * c + j] - expected[i * c + j]));
            }
            Assert.True(worst <= Tolerance, $"hidden states: max |diff| {worst}");
            double loss = 0;
            for (int i = 0; i < weights.Length; i++) loss += (double)weights[i] * y.Span[i];
            Assert.Equal(r.GetProperty("loss").GetDouble(), loss, 1e-4);
            tape.Seed(y, weights);
            tape.Backward();
            Assert.Equal(all.Count + 1, r.GetProperty("gradients").EnumerateObject().Count());
            double worstGrad = 0;
            foreach (var g in r.GetProperty("gradients").EnumerateObject())
            {
                var grad = g.Name == "memory" ? memory.Grad : all[g.Name].Grad.Span; // Conv1D: the [out, in] weight's gradient
                var index = g.Value.GetProperty("index").EnumerateArray().Select(x => x.GetInt32()).ToArray();
                var value = g.Value.GetProperty("value").EnumerateArray().Select(x => x.GetDouble()).ToArray();
                for (int i = 0; i < index.Length; i++)
                {
                    double d = Math.Abs(grad[index[i]] - value[i]);
                    Assert.True(d <= Tolerance * Math.Max(1, Math.Abs(value[i])), $"{g.Name}[{index[i]}]: {grad[index[i]]} vs {value[i]}");
                    worstGrad = Math.Max(worstGrad, d);
                }
                double norm = Math.Sqrt(grad.ToArray().Sum(x => (double)x * x));
                Assert.True(Math.Abs(g.Value.GetProperty("norm").GetDouble() - norm) <= Tolerance * Math.Max(1, norm), $"{g.Name}: norm {norm}");
            }
            output.WriteLine($"checkpointing {checkpointing}: hidden max |diff| {worst:E2}, gradients {worstGrad:E2}");
        }
    }

    [Fact]
    public void TsdaeLossMatchesTheReference()
    {
        // The decoder reads ids[:, :-1] and predicts ids[:, 1:] where the mask is 1, through the tied LM head.
        var (model, cross, _, doc) = Load();
        using var _ = doc;
        var r = doc.RootElement;
        var ids = Ints2(r.GetProperty("input_ids"));
        var mask = Ints2(r.GetProperty("attention_mask"));
        int b = ids.Length, t = ids[0].Length - 1;
        var tape = new Tape(recording: false);
        var memory = tape.Constant(Floats2(r.GetProperty("memory")), b, model.HiddenSize);
        var hidden = model.ForwardDecoder(tape, Tokens(ids, mask, t), memory, cross);
        var rows = new List<int>();
        var labels = new List<int>();
        for (int row = 0; row < b; row++)
            for (int i = 0; i < t; i++)
            {
                if (mask[row][i + 1] == 0) continue;
                rows.Add(row * t + i);
                labels.Add(ids[row][i + 1]);
            }
        var logits = model.LmHead!.Logits(tape, hidden, [.. rows]);
        int v = logits.Cols;
        double sum = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var z = logits.Span.Slice(i * v, v);
            double max = z.ToArray().Max(), lse = Math.Log(z.ToArray().Sum(x => Math.Exp(x - max))) + max;
            sum += lse - z[labels[i]];
        }
        double loss = sum / rows.Count, expected = r.GetProperty("tsdae_loss").GetDouble();
        Assert.True(Math.Abs(loss - expected) <= Tolerance, $"{loss} vs {expected}");
    }

    [Fact]
    public void CrossAttentionBackwardMatchesCentralDifferences()
    {
        var (model, cross, crossParameters, doc) = Load();
        using var _ = doc;
        var r = doc.RootElement;
        var ids = Ints2(r.GetProperty("input_ids"));
        var tokens = Tokens(ids, Ints2(r.GetProperty("attention_mask")), ids[0].Length);
        var memoryValues = Floats2(r.GetProperty("memory"));
        var weights = Floats2(r.GetProperty("weights"));
        double Loss()
        {
            var tape = new Tape(recording: false);
            var y = model.ForwardDecoder(tape, tokens, tape.Constant(memoryValues, tokens.Batch, model.HiddenSize), cross);
            double l = 0;
            for (int i = 0; i < weights.Length; i++) l += (double)weights[i] * y.Span[i];
            return l;
        }
        foreach (var p in crossParameters) p.Grad.Span.Clear();
        var rec = new Tape();
        var mem = rec.Constant(memoryValues, tokens.Batch, model.HiddenSize, requiresGrad: true);
        var out_ = model.ForwardDecoder(rec, tokens, mem, cross);
        rec.Seed(out_, weights);
        rec.Backward();
        var memGrad = mem.Grad.ToArray();
        const float h = 1e-2f;
        var byName = crossParameters.ToDictionary(p => p.Name);
        foreach (var (name, index) in new[] { ("h.0.ln_cross_attn.weight", 3), ("h.1.ln_cross_attn.bias", 7), ("h.0.crossattention.c_attn.weight", 1000),
            ("h.1.crossattention.c_attn.bias", 40), ("h.0.crossattention.c_proj.weight", 77), ("h.1.crossattention.c_proj.bias", 5) })
        {
            var values = byName[name].Data.Span;
            float keep = values[index];
            values[index] = keep + h;
            double up = Loss();
            values[index] = keep - h;
            double down = Loss();
            values[index] = keep;
            double numeric = (up - down) / (2 * h), analytic = byName[name].Grad.Span[index];
            Assert.True(Math.Abs(numeric - analytic) <= 2e-2 * Math.Max(1, Math.Abs(numeric)), $"{name}[{index}]: {analytic} vs {numeric}");
        }
        foreach (int index in new[] { 0, 45, 90 })
        {
            float keep = memoryValues[index];
            memoryValues[index] = keep + h;
            double up = Loss();
            memoryValues[index] = keep - h;
            double down = Loss();
            memoryValues[index] = keep;
            double numeric = (up - down) / (2 * h);
            Assert.True(Math.Abs(numeric - memGrad[index]) <= 2e-2 * Math.Max(1, Math.Abs(numeric)), $"memory[{index}]: {memGrad[index]} vs {numeric}");
        }
    }

    [Fact]
    public void BlocksAreWrittenInTransformersKeysAndLayout()
    {
        var (_, _, crossParameters, doc) = Load();
        doc.Dispose();
        string dir = TestPaths.NewTempDir();
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), crossParameters.Select(p => StoredLayout.Tensor(p.Name, p, p.Data.ToArray())));
        using var written = Checkpoint.OpenFolder(dir);
        using var stored = Checkpoint.OpenFile(Path.Combine(TestPaths.FixtureModel("decoder-gpt2-cross"), "cross.safetensors"));
        Assert.Equal(stored.Keys.Order(), written.Keys.Order());
        Assert.Equal([32, 64], written.Shape("h.1.crossattention.c_attn.weight")); // Conv1D [in, out]
        foreach (string key in stored.Keys)
            Assert.Equal(stored.Read(key, stored.Shape(key)), written.Read(key, written.Shape(key)));
    }
}
