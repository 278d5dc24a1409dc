using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;

namespace Skald.Models.Tests.CrossEncoders;

/// <summary>
/// A GTE reranker folder (fixtures/models/ce-gte, NewForSequenceClassification) missing one of its head's tensors is
/// one line naming the weights file and the key as the checkpoint stores it (<c>new.pooler.dense.bias</c>,
/// <c>classifier.weight</c>), not a random head in its place.
/// </summary>
public sealed class GteCrossEncoderKeyTests
{
    [Theory]
    [InlineData("new.pooler.dense.bias", "model.safetensors: the head's tensor \"new.pooler.dense.bias\" is missing")]
    [InlineData("new.pooler.dense.weight", "model.safetensors: the head's tensor \"new.pooler.dense.weight\" is missing")]
    [InlineData("classifier.weight", "model.safetensors: no classifier weights (classifier.weight)")]
    public void AMissingHeadTensorIsOneLineNamingTheFileAndTheKey(string key, string expected)
    {
        string folder = TestPaths.CopyOfFixtureModel("ce-gte"), weights = Path.Combine(folder, "model.safetensors");
        List<TensorToWrite> tensors;
        using (var st = SafeTensorsFile.Open(weights))
        {
            Assert.Contains(key, st.Tensors.Keys);
            tensors = [.. st.Tensors.Values.Where(t => t.Name != key).Select(t => new TensorToWrite(t.Name, t.Shape, st.ReadFloat32(t.Name)))];
        }
        SafeTensorsWriter.Write(weights, tensors);
        var e = Assert.Throws<ModelFormatException>(() => CrossEncoder.Load(folder));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith(folder, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
