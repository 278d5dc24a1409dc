using Skald.Models;
using Skald.Tensors;
using Skald.Training.Config;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Modeling;

/// <summary>bfloat16-in-memory models are for inference: training one fails with one message.</summary>
public sealed class Bf16TrainingTests
{
    [Fact]
    public void TrainingABf16LoadedModelFailsWithOneClearMessage()
    {
        string folder = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "decoder-llama3-bf16");
        var model = SentenceEncoder.Load(folder, precision: WeightPrecision.BFloat16);
        var e = Assert.Throws<TrainingException>(() => TrainableEncoder.For(model));
        Assert.Contains("BFloat16 weights, which are for inference only", e.Message);
        Assert.Contains(folder, e.Message);
        // The same folder in float32 trains.
        Assert.NotNull(TrainableEncoder.For(SentenceEncoder.Load(folder)));
    }
}
