using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Models.LateInteraction;

namespace Skald.Models.Tests.LateInteraction;

/// <summary>
/// A bare peft adapter folder (adapter_config.json + adapter_model.safetensors, no modules.json) over a PyLate ColBERT
/// is a ColBERT (<see cref="ColbertEncoder.IsColbert"/>, so the CLI verbs route it to MaxSim) and loads merged into its
/// base: B = 0 scores exactly as the base, another B does not; over a dense base it is no ColBERT.
/// </summary>
public sealed class ColbertBareAdapterTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Adapter(string name, string baseFolder, float b)
    {
        string folder = Path.Combine(dir, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["peft_type"] = "LORA", ["r"] = 2, ["lora_alpha"] = 4, ["target_modules"] = new[] { "query" },
            ["base_model_name_or_path"] = baseFolder,
        }));
        var tensors = new List<TensorToWrite>();
        for (int layer = 0; layer < 2; layer++) // colbert-bert-tiny: 2 layers of 32
        {
            string module = $"base_model.model.encoder.layer.{layer}.attention.self.query";
            tensors.Add(new TensorToWrite($"{module}.lora_A.weight", [2, 32], [.. Enumerable.Range(0, 64).Select(i => MathF.Sin(i + layer) * 0.3f)]));
            tensors.Add(new TensorToWrite($"{module}.lora_B.weight", [32, 2], [.. Enumerable.Range(0, 64).Select(i => b * MathF.Cos(i * 0.7f + layer))]));
        }
        SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors);
        return folder;
    }

    private static float[] Scores(string model)
    {
        using var colbert = ColbertEncoder.Load(model);
        return [.. colbert.Rank("hvor ligger Bergen?", ["Bergen ligger på Vestlandet.", "Oslo er hovedstaden.", "Tromsø ligger i nord."])
            .OrderBy(r => r.Index).Select(r => r.Score)];
    }

    [Fact]
    public void ABareAdapterOverAColbertIsAColbertAndLoadsMergedIntoItsBase()
    {
        string colbert = TestPaths.FixtureModel("colbert-bert-tiny");
        string zero = Adapter("zero", colbert, 0f), moved = Adapter("moved", colbert, 0.5f);
        Assert.True(ColbertEncoder.IsColbert(zero));
        Assert.Equal(Scores(colbert), Scores(zero)); // B = 0: the merged weights are the base's, bit for bit
        var baseScores = Scores(colbert);
        var movedScores = Scores(moved);
        Assert.Contains(Enumerable.Range(0, 3), i => Math.Abs(movedScores[i] - baseScores[i]) > 1e-4f);
    }

    [Fact]
    public void ABareAdapterOverADenseModelIsNoColbert() =>
        Assert.False(ColbertEncoder.IsColbert(Adapter("dense", TestPaths.FixtureModel("bert-cased-mean"), 0f)));
}
