using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Modeling;

/// <summary>
/// <see cref="TrainableEncoder.GradientCheckpointing"/>: a training step that recomputes each layer in backward gives
/// the loss, gradients and generator state of one that keeps every activation, bit for bit, with dropout on.
/// </summary>
public sealed class GradientCheckpointingTests
{
    private static string Fixture(string name) => Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", name);

    private static readonly TrainingBatch Batch = new([
        ["spørsmål om toget", "hej", "en litt lengre setning om været i dag", "kva tid går bussen?"],
        ["svar: toget går klokka tolv", "hallo", "det regner", "bussen går klokka ni"],
    ]);

    private static (float Loss, float[][] Grads, ulong[] Random) Step(string fixture, bool lora, bool checkpointing, ILoss loss)
    {
        var model = TrainableEncoder.Load(Fixture(fixture), dropout: 0.3f, seed: 21);
        if (model.Model.Transformer is IDecoder decoder) decoder.AttentionMode = AttentionMode.Bidirectional;
        if (lora) model.EnableLora(new LoraConfig { R = 4, Alpha = 8, Dropout = 0.05f, TargetModules = ["q_proj", "v_proj", "gate_proj", "down_proj"] }, seed: 3);
        model.GradientCheckpointing = checkpointing;
        model.ZeroGradients();
        float value = loss.ComputeAndBackward(model, Batch);
        return (value, [.. model.Parameters.Select(p => p.Grad.ToArray())], model.Random.SaveState());
    }

    [Theory]
    [InlineData("decoder-qwen2", true, false)]
    [InlineData("decoder-qwen2", true, true)]
    [InlineData("decoder-gemma2", false, false)]
    [InlineData("decoder-gpt2", false, false)] // GPT-2's embedding, attention and residual dropouts redrawn alike
    [InlineData("bert-cased-mean", false, false)]
    public void CheckpointedStepIsBitIdentical(string fixture, bool lora, bool cached)
    {
        ILoss Loss() => cached ? new CachedMultipleNegativesRankingLoss(miniBatchSize: 2) : new MultipleNegativesRankingLoss();
        var kept = Step(fixture, lora, checkpointing: false, Loss());
        var recomputed = Step(fixture, lora, checkpointing: true, Loss());
        Assert.Equal(kept.Loss, recomputed.Loss);
        Assert.Equal(kept.Random, recomputed.Random);
        Assert.Equal(kept.Grads.Length, recomputed.Grads.Length);
        for (int k = 0; k < kept.Grads.Length; k++) Assert.Equal(kept.Grads[k], recomputed.Grads[k]);
        Assert.Contains(kept.Grads, g => g.Any(v => v != 0f));
    }
}
