using Skald.Models.MaskedLm;
using Skald.Models.Architectures;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Masked-LM on NorBERT3: NorbertForMaskedLM's head read from the checkpoint (fixtures/models/norbert3-tiny), its logits
/// (ids &lt; 107 at −∞), loss and gradients against the PyTorch reference for a fixed masking
/// (fixtures/training/norbert3_mlm.json), central differences, and a `skald train` run that saves the
/// NorbertForMaskedLM layout and continues from its own head.
/// </summary>
public sealed class NorbertMaskedLmTests
{
    private static readonly string Tiny = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "norbert3-tiny");

    [Fact]
    public void HeadIsReadFromTheCheckpointAndMatchesPyTorch()
    {
        var model = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(model);
        var head = Assert.IsType<NorbertMaskedLmHead>(mlm.Head);
        Assert.Equal(["classifier.nonlinearity.1.weight", "classifier.nonlinearity.1.bias", "classifier.nonlinearity.5.bias"],
            head.Parameters.Select(p => p.Name));
        Assert.Same(((Norbert)model.Model.Transformer).WordEmbeddings, head.Decoder);
        Assert.Equal(107, head.ExcludedIds);
        Assert.Equal(model.Tokenizer.TokenToId("[MASK]"), mlm.MaskId);
        Assert.Equal(MaskedLmReference.Tensors(Tiny)["classifier.nonlinearity.1.weight"], head.Parameters[0].Data.ToArray());
        MaskedLmReference.MatchesPyTorch(model, mlm, "norbert3_mlm.json", z => z);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var encoder = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(encoder, maskProbability: 0.4f, seed: 5);
        MaskedLmReference.MatchesFiniteDifferences(encoder, mlm,
        [
            ("classifier.nonlinearity.1.weight", 7), ("classifier.nonlinearity.1.bias", 3), ("classifier.nonlinearity.5.bias", 300),
            ("classifier.nonlinearity.5.bias", 5), ("embedding.word_embedding.weight", 400 * 32 + 3),
            ("transformer.layers.1.attention.in_proj_qk.weight", 40), ("transformer.layers.0.mlp.mlp.1.weight", 17),
            ("embedding.relative_embedding", 9),
        ]);
    }

    [Fact]
    public void ExcludedIdsAreNeverTargets()
    {
        var encoder = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(encoder, maskProbability: 0.9f, seed: 5);
        float loss = mlm.Loss(encoder, MaskedLmReference.Texts, backward: false);
        Assert.True(float.IsFinite(loss) && loss > 0, $"loss {loss}");
        var tokens = new TokenBatch([2, 50, 3], [1, 1, 1], new int[3], 1, 3);
        Assert.Throws<ArgumentException>(() => mlm.Loss(encoder, tokens, [-1, 50, -1], backward: false));
    }

    [Fact]
    public void SkaldTrainSavesNorbertForMaskedLMAndContinuesFromItsHead()
    {
        string dir = MaskedLmReference.TempDir();
        string saved = MaskedLmReference.Train(Tiny, dir, "out", 4);
        var tensors = MaskedLmReference.Tensors(saved);
        foreach (var k in new[] { "embedding.word_embedding.weight", "embedding.relative_embedding", "transformer.layers.1.mlp.mlp.4.weight",
                     "classifier.nonlinearity.1.weight", "classifier.nonlinearity.1.bias", "classifier.nonlinearity.5.bias" })
            Assert.Contains(k, tensors.Keys);
        Assert.DoesNotContain("classifier.nonlinearity.5.weight", tensors.Keys);
        Assert.DoesNotContain(tensors.Keys, k => !(k.StartsWith("embedding.", StringComparison.Ordinal)
            || k.StartsWith("transformer.", StringComparison.Ordinal) || k.StartsWith("classifier.", StringComparison.Ordinal)));
        Assert.Equal("NorbertForMaskedLM", MaskedLmReference.Architecture(saved));
        Assert.True(File.Exists(Path.Combine(saved, "modeling_norbert.py")));
        Assert.NotEqual(MaskedLmReference.Tensors(Tiny)["classifier.nonlinearity.1.weight"], tensors["classifier.nonlinearity.1.weight"]);

        var again = TrainableEncoder.Load(saved);
        Assert.IsType<Norbert>(again.Model.Transformer);
        var head = new MaskedLanguageModelingLoss(again).Parameters.ToDictionary(p => p.Name);
        Assert.Equal(tensors["classifier.nonlinearity.1.weight"], head["classifier.nonlinearity.1.weight"].Data.ToArray());
        Assert.Equal(tensors["classifier.nonlinearity.5.bias"], head["classifier.nonlinearity.5.bias"].Data.ToArray());

        string continued = MaskedLmReference.Train(saved, dir, "again", 2);
        Assert.NotEqual(tensors["classifier.nonlinearity.5.bias"], MaskedLmReference.Tensors(continued)["classifier.nonlinearity.5.bias"]);
    }

    [Fact]
    public void AFolderWithoutHeadGetsMaskClassifiersInitialisation()
    {
        var model = TrainableEncoder.Load(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "norbert3-tiny-st"), dropout: 0f);
        var head = new MaskedLanguageModelingLoss(model, seed: 3).Head;
        double std = Math.Sqrt(2.0 / (5.0 * 32));
        var dense = head.Parameters[0].Data.ToArray();
        Assert.All(dense, x => Assert.True(Math.Abs(x) <= 2 * std + 1e-7));
        Assert.InRange(Math.Sqrt(dense.Select(x => (double)x * x).Average()), 0.6 * std, std);
        Assert.All(head.Parameters[1].Data.ToArray(), x => Assert.Equal(0f, x));
        Assert.All(head.Parameters[2].Data.ToArray(), x => Assert.Equal(0f, x));
    }
}
