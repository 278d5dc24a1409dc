using Skald.Models;
using Skald.Models.Adapters;
using Skald.Tensors;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Modeling;

/// <summary>
/// Models with 16-bit weights in memory (bfloat16, float16) are a frozen base: LoRA trains on them (QLoRA-style without
/// quantisation), and a LoRA step equals the same step on the float32 upcast of those weights; training the weights
/// themselves fails with one message.
/// </summary>
public sealed class Bf16TrainingTests
{
    private static string Fixture(string name) => Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", name);

    private static readonly TrainingBatch Batch = new([
        ["spørsmål om toget", "hej", "en litt lengre setning om været i dag", "kva tid går bussen?"],
        ["svar: toget går klokka tolv", "hallo", "det regner", "bussen går klokka ni"],
    ]);

    [Fact]
    public void TrainingTheWeightsOfA16BitModelFailsWithOneClearMessage()
    {
        string folder = Fixture("decoder-llama3-bf16");
        var model = TrainableEncoder.For(SentenceEncoder.Load(folder, precision: WeightPrecision.BFloat16));
        var e = Assert.Throws<TrainingException>(() => model.BeginPass());
        Assert.Contains("BFloat16 weights, which are frozen: train LoRA adapters on them", e.Message);
        Assert.Contains(folder, e.Message);
        using (model.BeginPass(record: false)) { } // inference passes are fine
    }

    [Theory]
    [InlineData("decoder-llama3-bf16", WeightPrecision.BFloat16, new[] { "q_proj", "v_proj", "gate_proj", "down_proj" })]
    [InlineData("xlmr-cls-f16", WeightPrecision.Float16, new[] { "query", "value", "dense" })]
    public void LoraStepOnA16BitBaseEqualsTheStepOnItsFloat32Upcast(string fixture, WeightPrecision precision, string[] targets)
    {
        // The fixtures are stored in that 16-bit format: the float32 load is the exact upcast of the 16-bit weights.
        (float Loss, float[][] Grads) Step(WeightPrecision p)
        {
            var model = TrainableEncoder.For(SentenceEncoder.Load(Fixture(fixture), precision: p), dropout: 0f, seed: 5);
            model.EnableLora(new LoraConfig { R = 4, Alpha = 8, Dropout = 0f, TargetModules = targets }, seed: 3);
            var rng = new Random(17);
            foreach (var b in model.Parameters.Where(q => q.Name.Contains("lora_B", StringComparison.Ordinal)))
            {
                var v = b.Data.Span; // non-zero B: the gradient of A flows back through the frozen base
                for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() - 0.5) * 0.2f;
            }
            model.ZeroGradients();
            float loss = new MultipleNegativesRankingLoss().ComputeAndBackward(model, Batch);
            return (loss, [.. model.Parameters.Select(q => q.Grad.ToArray())]);
        }

        var half = Step(precision);
        var full = Step(WeightPrecision.Float32);
        Assert.Equal(full.Loss, half.Loss, 1e-5f);
        Assert.Equal(full.Grads.Length, half.Grads.Length);
        Assert.Contains(half.Grads, g => g.Any(v => v != 0f));
        for (int k = 0; k < full.Grads.Length; k++)
        {
            float scale = Math.Max(1e-6f, full.Grads[k].Max(MathF.Abs));
            for (int i = 0; i < full.Grads[k].Length; i++)
                Assert.True(Math.Abs(full.Grads[k][i] - half.Grads[k][i]) <= 1e-5 * scale, $"grad {k}[{i}]: {full.Grads[k][i]:R} vs {half.Grads[k][i]:R}");
        }
    }
}
