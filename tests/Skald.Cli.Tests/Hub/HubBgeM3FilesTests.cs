using Skald.Hub;

namespace Skald.Cli.Tests.Hub;

/// <summary>A BGE-M3 repository's two heads (torch.save files at the top level) come down with the model; other pickles do not.</summary>
public sealed class HubBgeM3FilesTests
{
    [Fact]
    public void TheSparseAndColbertHeadsAreFetchedBesideTheSafetensors()
    {
        string snapshot = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(snapshot, "modules.json"),
            """[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]""");
        string[] files = ["config.json", "modules.json", "model.safetensors", "pytorch_model.bin", "sparse_linear.pt", "colbert_linear.pt",
            "other_head.pt", "1_Pooling/config.json", "onnx/sparse_linear.pt"];
        var chosen = ModelFiles.Rest(HubId.TryParse("BAAI/bge-m3")!, files, snapshot);
        Assert.Contains("sparse_linear.pt", chosen);
        Assert.Contains("colbert_linear.pt", chosen);
        Assert.Contains("model.safetensors", chosen);
        Assert.DoesNotContain("other_head.pt", chosen);
        Assert.DoesNotContain("pytorch_model.bin", chosen);
        Assert.DoesNotContain("onnx/sparse_linear.pt", chosen);
    }
}
