using Skald.Models;

namespace Skald.Training.Tests.Output;

/// <summary>
/// A LoRA run saves its adapter alone (peft's layout) in <c>final/</c>: given where a model goes, that folder is one
/// line saying it is an adapter and how to load it onto its base, not "tokenizer.json not found (save it from Python
/// ...)"; loaded with <c>--adapters</c> it embeds.
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
    public void AnAdapterGivenAsTheModelIsNamedWithItsBase()
    {
        string adapter = TrainAdapter(), model = InfraPaths.FixtureModel("bert-cased-mean");
        string texts = InfraPaths.WriteFile(dir, "q.txt", "Når opnar biblioteket?\nBiblioteket opnar klokka ni.\n");
        string expected = $"skald: error: {adapter}: a PEFT adapter folder (adapter_config.json), not a model: load it onto its base model ({model}) " +
            $"with --adapters {adapter} (model.adapters in a training config), or merge the two into one model folder with skald merge";
        foreach (var args in new[]
                 {
                     new[] { "encode", "--model", adapter, "--input", texts, "--output", Path.Combine(dir, "e.npy") },
                     ["quantize", "--model", adapter, "--output", Path.Combine(dir, "q")],
                 })
        {
            var r = SkaldProcess.RunIn(dir, args);
            SkaldProcess.AssertUserError(r, 1);
            Assert.Equal(expected, r.Stderr.Trim());
        }
        Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(adapter));

        var ok = SkaldProcess.RunIn(dir, "encode", "--model", model, "--adapters", adapter, "--input", texts, "--output", Path.Combine(dir, "e.npy"));
        Assert.True(ok.ExitCode == 0, ok.Stderr);
    }
}
