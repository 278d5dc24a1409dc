using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Architectures;

public sealed class StaticEmbeddingTests
{
    /// <summary>A StaticEmbedding folder as sentence-transformers saves it: modules.json + 0_StaticEmbedding/{model.safetensors, tokenizer.json}.</summary>
    private static (string Dir, float[] Table, int Dim) MakeModel(bool normalize)
    {
        string dir = TestPaths.NewTempDir();
        string module = Path.Combine(dir, "0_StaticEmbedding");
        Directory.CreateDirectory(module);
        string tokenizerJson = Path.Combine(TestPaths.Fixtures, "tokenizers", "wordpiece-uncased", "tokenizer.json");
        File.Copy(tokenizerJson, Path.Combine(module, "tokenizer.json"));
        int vocab = Tokenizers.Tokenizer.FromFile(tokenizerJson).VocabSize, dim = 8;
        var rng = new Random(5);
        var table = Enumerable.Range(0, vocab * dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        SafeTensorsWriter.Write(Path.Combine(module, "model.safetensors"), [new TensorToWrite("embedding.weight", [vocab, dim], table)]);
        string modules = """[{"idx":0,"name":"0","path":"0_StaticEmbedding","type":"sentence_transformers.models.StaticEmbedding"}""";
        if (normalize) modules += """,{"idx":1,"name":"1","path":"1_Normalize","type":"sentence_transformers.models.Normalize"}""";
        File.WriteAllText(Path.Combine(dir, "modules.json"), modules + "]");
        return (dir, table, dim);
    }

    [Fact]
    public void EmbeddingIsTheMeanOfTokenRowsWithoutSpecialTokens()
    {
        var (dir, table, dim) = MakeModel(normalize: false);
        var model = SentenceEncoder.Load(dir);
        Assert.Equal(dim, model.Dimension);
        string[] texts = ["  Hei på deg, Kari!", "Fjellet er høyt", "x"];
        var actual = model.Encode(texts, new EncodeOptions { BatchSize = 2 });
        for (int i = 0; i < texts.Length; i++)
        {
            // Independent expectation: the raw text (not stripped) without [CLS]/[SEP], averaged row by row.
            var ids = model.Tokenizer.Encode(texts[i], addSpecialTokens: false).Ids;
            Assert.DoesNotContain(model.Tokenizer.TokenToId("[CLS]")!.Value, ids);
            for (int j = 0; j < dim; j++)
            {
                double sum = 0;
                foreach (int id in ids) sum += table[id * dim + j];
                Assert.Equal(sum / ids.Length, actual[i][j], 5);
            }
        }
    }

    [Fact]
    public void NormalizeModuleAfterStaticEmbeddingApplies()
    {
        var (dir, _, _) = MakeModel(normalize: true);
        var e = SentenceEncoder.Load(dir).Encode("Kor mykje kostar billetten?");
        Assert.Equal(1f, MathF.Sqrt(e.Sum(v => v * v)), 5);
    }

    [Fact]
    public void EmptyTextGivesZeroVector()
    {
        var (dir, _, _) = MakeModel(normalize: false);
        Assert.All(SentenceEncoder.Load(dir).Encode(""), v => Assert.Equal(0f, v));
    }
}
