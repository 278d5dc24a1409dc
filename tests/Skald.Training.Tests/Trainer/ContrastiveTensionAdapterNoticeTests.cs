using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.Checkpoints;
using Skald.Tests;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// ContrastiveTension's copy of a model read with an adapter that leaves tensors out (modules outside its
/// target_modules): the copy merges the same adapter, and the notice of the tensors left out is made once, by the
/// model's own load, not again by the copy's.
/// </summary>
public sealed class ContrastiveTensionAdapterNoticeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the pair-sampling variant makes its copy the same way
    public void TheNoticeIsMadeOnceAndTheCopyHasTheAdapter(bool pairs)
    {
        string adapter = Path.Combine(TestPaths.NewTempDir(), "lora");
        Directory.CreateDirectory(adapter);
        File.WriteAllText(Path.Combine(adapter, PeftAdapters.ConfigFile), """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"]}""");
        float[] Values(int s) => [.. Enumerable.Range(0, 64).Select(i => 0.05f * MathF.Sin(s + i))];
        var tensors = new List<TensorToWrite>();
        foreach (string module in new[] { "query", "key" }) // key is outside target_modules
        {
            string key = $"base_model.model.encoder.layer.0.attention.self.{module}";
            tensors.Add(new(key + ".lora_A.weight", [2, 32], Values(1)));
            tensors.Add(new(key + ".lora_B.weight", [32, 2], Values(2)));
        }
        SafeTensorsWriter.Write(Path.Combine(adapter, PeftAdapters.WeightsFile), tensors);

        var notices = new List<string>();
        using var scope = ModelNotices.Route(notices.Add);
        var encoder = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"), [adapter]);
        var model = TrainableEncoder.For(encoder, dropout: 0f);
        model.SourceAdapters = encoder.Adapters;
        Assert.Single(notices);
        ILoss loss = pairs ? new ContrastiveTensionPairsLoss(model) : new ContrastiveTensionLoss(model);
        Assert.Single(notices);

        const string query = "encoder.layer.0.attention.self.query.weight";
        var own = model.Parameters.Single(p => p.Name == query);
        var copied = loss.Parameters.Single(p => p.Name == ContrastiveTensionLoss.CopyPrefix + query);
        Assert.Equal(own.Data.ToArray(), copied.Data.ToArray()); // the copy merged the adapter too
        using var plain = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        Assert.NotEqual(plain.Parameters.Single(p => p.Name == query).Data.ToArray(), copied.Data.ToArray());
    }
}
