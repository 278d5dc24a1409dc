using Skald.Models;

namespace Skald.Training.Tests.Output;

/// <summary>
/// A LoRA run saves its adapter alone (peft's layout) in <c>final/</c>: given where a model goes, that folder loads onto
/// the base its adapter_config.json records, as transformers with peft loads it, and embeds as the base given
/// <c>--adapters</c> it.
/// </summary>
public sealed class AdapterFolderTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    // A LoRA run on bert-cased-mean, or on the model path given (model.adapters: earlier, when given); its final/ adapter folder.
    private string TrainAdapter(string? earlier = null, string? modelPath = null)
    {
        string model = modelPath ?? InfraPaths.FixtureModel("bert-cased-mean");
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Når opnar biblioteket i Volda {i}?\", \"positive\": \"Biblioteket opnar klokka {i}.\"}}\n")));
        string config = TrainConfigs.Write(dir, model, data, "  type: mnrl", out string outDir);
        if (earlier is not null) File.WriteAllText(config, File.ReadAllText(config).Replace($"  path: {model}\n", $"  path: {model}\n  adapters: [{earlier}]\n"));
        File.AppendAllText(config, "\nlora:\n  r: 2\n  alpha: 4\n  target_modules: [query, value]\n");
        var r = SkaldProcess.RunIn(dir, "train", "--config", config, "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string final = Path.Combine(outDir, "final");
        Assert.True(File.Exists(Path.Combine(final, "adapter_config.json")));
        Assert.False(File.Exists(Path.Combine(final, "config.json")));
        return final;
    }

    [Fact]
    public void AnAdapterGivenAsTheModelLoadsOntoTheBaseItRecords()
    {
        string adapter = TrainAdapter(), model = InfraPaths.FixtureModel("bert-cased-mean");
        string texts = InfraPaths.WriteFile(dir, "q.txt", "Når opnar biblioteket?\nBiblioteket opnar klokka ni.\n");
        var alone = SkaldProcess.RunIn(dir, "encode", "--model", adapter, "--input", texts, "--output", Path.Combine(dir, "alone.jsonl"));
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        var ok = SkaldProcess.RunIn(dir, "encode", "--model", model, "--adapters", adapter, "--input", texts, "--output", Path.Combine(dir, "both.jsonl"));
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "both.jsonl")), File.ReadAllText(Path.Combine(dir, "alone.jsonl")));
        Assert.Equal(SentenceEncoder.Load(model, [adapter]).Encode("Når opnar biblioteket?"), SentenceEncoder.Load(adapter).Encode("Når opnar biblioteket?"));
    }

    [Fact]
    public void AnAdapterTrainedOnEarlierAdaptersRecordsThemAndLoadsThemFirst()
    {
        string model = InfraPaths.FixtureModel("bert-cased-mean");
        string first = TrainAdapter();
        string second = TrainAdapter(earlier: first);
        string chain = File.ReadAllText(Path.Combine(second, "skald_base_adapters.json"));
        Assert.Equal([Path.GetRelativePath(second, first)],
            System.Text.Json.JsonDocument.Parse(chain).RootElement.GetProperty("adapters").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains($"\"base_model_name_or_path\": {System.Text.Json.JsonSerializer.Serialize(model)}", File.ReadAllText(Path.Combine(second, "adapter_config.json")));
        Assert.Contains($"- **Adapters merged into the base before training:** `{first}`", File.ReadAllText(Path.Combine(second, "README.md")));

        const string text = "Når opnar biblioteket?";
        var alone = SentenceEncoder.Load(second);
        Assert.Equal([first, second], alone.Adapters);
        Assert.Equal(SentenceEncoder.Load(model, [first, second]).Encode(text), alone.Encode(text));
        Assert.NotEqual(SentenceEncoder.Load(model, [second]).Encode(text), alone.Encode(text));

        // its base not found: the line says to give the earlier adapter before it
        string moved = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(second))!, "moved", "final");
        Directory.CreateDirectory(moved);
        foreach (var f in Directory.GetFiles(second)) File.Copy(f, Path.Combine(moved, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(moved, "adapter_config.json"),
            File.ReadAllText(Path.Combine(moved, "adapter_config.json")).Replace(System.Text.Json.JsonSerializer.Serialize(model), "\"/no/such/base\""));
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(moved));
        Assert.EndsWith($"give the base yourself with --model BASE --adapters {first},{moved} " +
            "(model.path and model.adapters in a training config; in the library SentenceEncoder.Load(BASE, adapters))", e.Message);
    }

    [Fact]
    public void AnAdapterFolderAsModelPathTrainsOnItsBaseAndIsRecordedAsAnEarlierAdapter()
    {
        string model = InfraPaths.FixtureModel("bert-cased-mean");
        string first = TrainAdapter();
        string second = TrainAdapter(modelPath: first);
        Assert.Contains($"\"base_model_name_or_path\": {System.Text.Json.JsonSerializer.Serialize(model)}", File.ReadAllText(Path.Combine(second, "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(second, "skald_base_adapters.json")));
        const string text = "Når opnar biblioteket?";
        Assert.Equal(SentenceEncoder.Load(model, [first, second]).Encode(text), SentenceEncoder.Load(second).Encode(text));
    }
}
