using Skald.Models;
using Skald.Models.CrossEncoders;
using Skald.Models.Quantization;
using Skald.Training.CrossEncoders;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// <see cref="CrossEncoderSaver.Save(CrossEncoder, string, int?)"/> of a cross-encoder loaded from an int8 folder
/// (<c>skald quantize</c>'s), with a LoRA merged on it or alone, is refused by the saver itself in one line naming that
/// folder (a <see cref="ModelFormatException"/>, as <c>skald merge</c> refuses it), and nothing is written.
/// </summary>
public sealed class CrossEncoderSaverInt8Tests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AnInt8BaseIsOneLineFromTheSaver(bool withAdapter)
    {
        if (Skald.Tensors.Quantization.Int8Gemm.Best is null) return; // no int8 model can be made here
        string dir = TestPaths.NewTempDir(), int8 = Path.Combine(dir, "int8"), output = Path.Combine(dir, "saved");
        using (var source = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"))) Int8Checkpoint.Save(source, int8);
        string model = withAdapter ? BertLoraFolder.Write(Path.Combine(dir, "adapter"), int8, "bert.") : int8; // loads onto the int8 base
        using var crossEncoder = CrossEncoder.Load(model);

        var e = Assert.Throws<ModelFormatException>(() => CrossEncoderSaver.Save(crossEncoder, output));
        Assert.StartsWith(int8 + ": an int8 model (skald quantize's)", e.Message, StringComparison.Ordinal);
        Assert.Contains("merge onto its float32 base, then quantize the result", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(output));
    }
}
