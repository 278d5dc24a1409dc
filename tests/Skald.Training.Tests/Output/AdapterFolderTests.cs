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

    private string TrainAdapter()
    {
        string model = InfraPaths.FixtureModel("bert-cased-mean");
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Når opnar biblioteket i Volda {i}?\", \"positive\": \"Biblioteket opnar klokka {i}.\"}}\n")));
        string config = TrainConfigs.Write(dir, model, data, "  type: mnrl", out string outDir);
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
}
