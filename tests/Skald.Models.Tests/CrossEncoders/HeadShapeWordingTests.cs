using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;

namespace Skald.Models.Tests.CrossEncoders;

/// <summary>
/// A classifier head whose bias does not fit its labels is one line whose counts agree with their nouns: "a head with
/// 1 label needs 1 value" (was "1 label(s) needs 1 values"), "a head with 3 labels needs 3 values".
/// </summary>
public sealed class HeadShapeWordingTests
{
    [Theory]
    [InlineData("ce-bert", "classifier.bias", "classifier.bias has shape [2]; a head with 1 label needs 1 value")]
    [InlineData("ce-xlmr", "classifier.out_proj.bias", "classifier.out_proj.bias has shape [4]; a head with 3 labels needs 3 values")]
    public void ABiasThatDoesNotFitTheLabelsIsCountedInGoodEnglish(string fixture, string bias, string expected)
    {
        string folder = TestPaths.CopyOfFixtureModel(fixture), weights = Path.Combine(folder, "model.safetensors");
        List<TensorToWrite> tensors;
        using (var st = SafeTensorsFile.Open(weights))
        {
            tensors = [.. st.Tensors.Values.Select(t => t.Name == bias
                ? new TensorToWrite(t.Name, [t.Shape[0] + 1], new float[t.Shape[0] + 1]) // one value too many
                : new TensorToWrite(t.Name, t.Shape, st.ReadFloat32(t.Name)))];
        }
        SafeTensorsWriter.Write(weights, tensors);
        var e = Assert.Throws<ModelFormatException>(() => CrossEncoder.Load(folder));
        Assert.EndsWith(expected, e.Message, StringComparison.Ordinal);
    }
}
