using System.Text.Json.Nodes;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald truncate-layers --model ADAPTER</c> of a PEFT adapter folder that loads as a cross-encoder (a SEQ_CLS adapter
/// bringing its head over an encoder or a decoder without one, a plain LoRA on a cross-encoder; the cases of
/// <see cref="MergeCrossEncoderTests"/>, whose merged folders are checked there against the weights merged by hand): the
/// folder is what <c>skald merge</c> saves, cut (its config.json and every tensor the same, the head included), a
/// cross-encoder that scores as that; and a LoRA on the kept layer changes the scores of the cut base. An int8 model, with
/// an adapter or without, is one line.
/// </summary>
public sealed class TruncateLayersCrossEncoderAdapterTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static MergeCrossEncoderTests.Case Named(string name) => name switch
    {
        "encoder" => MergeCrossEncoderTests.Encoder,
        "decoder" => MergeCrossEncoderTests.Decoder,
        _ => new("ce-bert", "bert.encoder.layer.0.attention.self.query", "query", 32, 32, null, [], []),
    };

    private static void Run(params string[] args)
    {
        var r = InProcessSkald.Capture(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    [Theory]
    [InlineData("encoder")]
    [InlineData("decoder")]
    [InlineData("on-a-cross-encoder")]
    public void AnAdapterIsCutAsItsMergedCrossEncoder(string name)
    {
        var c = Named(name);
        string adapter = MergeCrossEncoderTests.WriteAdapter(Path.Combine(dir, "adapter"), c);
        string cut = Path.Combine(dir, "cut"), merged = Path.Combine(dir, "merged"), mergedCut = Path.Combine(dir, "merged-cut");
        Run("truncate-layers", "--model", adapter, "--layers", "1", "--output", cut);
        Run("merge", "--model", TestPaths.FixtureModel(c.Fixture), "--adapters", adapter, "--output", merged);
        Run("truncate-layers", "--model", merged, "--layers", "1", "--output", mergedCut);

        Assert.False(File.Exists(Path.Combine(cut, "adapter_config.json"))); // a plain cross-encoder folder, the adapter merged
        Assert.True(CrossEncoder.IsCrossEncoder(cut));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(cut, "config.json")))!;
        Assert.Equal(1, config["num_hidden_layers"]!.GetValue<int>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(Path.Combine(mergedCut, "config.json"))), config), "config.json");
        using (var want = SafeTensorsFile.Open(Path.Combine(mergedCut, "model.safetensors")))
        using (var got = SafeTensorsFile.Open(Path.Combine(cut, "model.safetensors")))
        {
            Assert.Equal(want.Tensors.Keys.Order(StringComparer.Ordinal), got.Tensors.Keys.Order(StringComparer.Ordinal));
            Assert.DoesNotContain(got.Tensors.Keys, k => k.Contains(".1.", StringComparison.Ordinal)); // the second layer is gone
            foreach (var key in want.Tensors.Keys) Assert.Equal(want.ReadFloat32(key), got.ReadFloat32(key));
            foreach (var (key, _) in c.Head) Assert.Contains(key, got.Tensors.Keys); // the adapter's head
        }

        using var model = CrossEncoder.Load(cut);
        using var expected = CrossEncoder.Load(mergedCut);
        Assert.Equal(1, model.Transformer.Config.NumLayers);
        Assert.Equal(expected.Score(MergeCrossEncoderTests.Pairs), model.Score(MergeCrossEncoderTests.Pairs));
        if (c.Head.Length == 0)
        {
            using var plain = CrossEncoder.Load(Cut(TestPaths.FixtureModel(c.Fixture), "plain-cut"));
            Assert.NotEqual(plain.Score(MergeCrossEncoderTests.Pairs), model.Score(MergeCrossEncoderTests.Pairs)); // the LoRA on layer 0 is in it
        }
    }

    private string Cut(string model, string name)
    {
        string output = Path.Combine(dir, name);
        Run("truncate-layers", "--model", model, "--layers", "1", "--output", output);
        return output;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnInt8CrossEncoderIsRefusedInOneLine(bool withAdapter)
    {
        // The cut of a quantized model would be neither it nor a float model: cut the float one, then quantize.
        if (Skald.Tensors.Quantization.Int8Gemm.Best is null) return; // skald quantize cannot make one here
        string int8 = Path.Combine(dir, "int8"), cut = Path.Combine(dir, "cut");
        Run("quantize", "--model", TestPaths.FixtureModel("ce-bert"), "--output", int8);
        string model = withAdapter ? MergeCrossEncoderTests.WriteAdapter(Path.Combine(dir, "adapter"), Named("on-a-cross-encoder")) : int8;
        if (withAdapter) // re-pointed at the int8 base
        {
            string config = Path.Combine(model, "adapter_config.json");
            var json = JsonNode.Parse(File.ReadAllText(config))!;
            json["base_model_name_or_path"] = int8;
            File.WriteAllText(config, json.ToJsonString());
        }
        SkaldProcess.AssertUserError(InProcessSkald.Capture("truncate-layers", "--model", model, "--layers", "1", "--output", cut), 1,
            model + ": a quantized checkpoint; cut the layers of the float model, then quantize it");
        Assert.False(Directory.Exists(cut) && Directory.EnumerateFileSystemEntries(cut).Any());
    }

    [Fact]
    public void ABadLayerCountIsOneLineBeforeAnythingIsWritten()
    {
        string adapter = MergeCrossEncoderTests.WriteAdapter(Path.Combine(dir, "adapter"), Named("decoder"));
        string cut = Path.Combine(dir, "cut");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("truncate-layers", "--model", adapter, "--layers", "2", "--output", cut), 1,
            "has 2 layers; keep between 1 and 1 of them, not 2");
        Assert.False(Directory.Exists(cut) && Directory.EnumerateFileSystemEntries(cut).Any());
    }
}
