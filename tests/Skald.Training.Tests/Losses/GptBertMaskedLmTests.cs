using Skald.Models.MaskedLm;
using Skald.Models.Architectures;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Masked-LM on NorBERT4: GptBertForMaskedLM's head read from the checkpoint (fixtures/models/norbert4-tiny), its
/// 30·sigmoid(z / 7.5) logits, shifted loss and gradients against the PyTorch reference for a fixed masking
/// (fixtures/training/gptbert_mlm.json), central differences, and a `skald train` run that saves the
/// GptBertForMaskedLM layout (the tied emb2vocab.weight as a copy of the word embeddings) and continues from its head.
/// </summary>
public sealed class GptBertMaskedLmTests
{
    private static readonly string Tiny = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "norbert4-tiny");

    [Fact]
    public void HeadIsReadFromTheCheckpointAndMatchesPyTorch()
    {
        var model = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(model);
        var head = Assert.IsType<GptBertMaskedLmHead>(mlm.Head);
        Assert.Equal(["classifier.projection.weight", "classifier.projection.scale", "classifier.emb2vocab.bias", "classifier.emb2vocab.scale"],
            head.Parameters.Select(p => p.Name));
        Assert.Equal("embedding.word_embedding.weight", head.Decoder.Name); // the stored copy equals it: tied
        Assert.True(head.PredictsNextToken);
        Assert.Equal(287, mlm.MaskId); // config.json's mask_token_id (the cut tokenizer has no [MASK])
        MaskedLmReference.MatchesPyTorch(model, mlm, "gptbert_mlm.json", z => 30 / (1 + Math.Exp(-z / 7.5)));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var encoder = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(encoder, maskProbability: 0.4f, seed: 5);
        MaskedLmReference.MatchesFiniteDifferences(encoder, mlm,
        [
            ("classifier.projection.weight", 7), ("classifier.projection.scale", 3), ("classifier.emb2vocab.bias", 100),
            ("classifier.emb2vocab.scale", 5), ("embedding.word_embedding.weight", 70 * 32 + 3),
            ("encoder.layers.1.attention.qk_proj.weights.0", 40), ("encoder.layers.2.mlp.up_proj.weights.1", 17),
            ("encoder.layers.3.lambdas", 4),
        ]);
    }

    [Fact]
    public void SkaldTrainSavesGptBertForMaskedLMAndContinuesFromItsHead()
    {
        string dir = MaskedLmReference.TempDir();
        string saved = MaskedLmReference.Train(Tiny, dir, "out", 4);
        var tensors = MaskedLmReference.Tensors(saved);
        foreach (var k in new[] { "embedding.word_embedding.weight", "encoder.layers.3.mlp.down_proj.weight", "classifier.projection.weight",
                     "classifier.projection.scale", "classifier.emb2vocab.bias", "classifier.emb2vocab.scale", "classifier.emb2vocab.weight" })
            Assert.Contains(k, tensors.Keys);
        Assert.DoesNotContain(tensors.Keys, k => !(k.StartsWith("embedding.", StringComparison.Ordinal)
            || k.StartsWith("encoder.", StringComparison.Ordinal) || k.StartsWith("classifier.", StringComparison.Ordinal)));
        Assert.Equal(tensors["embedding.word_embedding.weight"], tensors["classifier.emb2vocab.weight"]); // the tied copy, trained
        var source = MaskedLmReference.Tensors(Tiny);
        Assert.NotEqual(source["embedding.word_embedding.weight"], tensors["classifier.emb2vocab.weight"]);
        Assert.NotEqual(source["classifier.projection.weight"], tensors["classifier.projection.weight"]);
        Assert.Equal("GptBertForMaskedLM", MaskedLmReference.Architecture(saved));

        var again = TrainableEncoder.Load(saved);
        Assert.IsType<GptBert>(again.Model.Transformer);
        var mlm = new MaskedLanguageModelingLoss(again);
        Assert.Equal("embedding.word_embedding.weight", mlm.Head.Decoder.Name);
        var head = mlm.Parameters.ToDictionary(p => p.Name);
        Assert.Equal(tensors["classifier.projection.weight"], head["classifier.projection.weight"].Data.ToArray());
        Assert.Equal(tensors["classifier.emb2vocab.bias"], head["classifier.emb2vocab.bias"].Data.ToArray());

        string continued = MaskedLmReference.Train(saved, dir, "again", 2);
        Assert.NotEqual(tensors["classifier.emb2vocab.bias"], MaskedLmReference.Tensors(continued)["classifier.emb2vocab.bias"]);
    }

    [Fact]
    public void AStoredDecoderThatDiffersFromTheEmbeddingsIsTrainedAndSavedAsItsOwn()
    {
        string dir = MaskedLmReference.TempDir();
        string copy = MaskedLmReference.Rewrite(Tiny, dir, (k, v) => k == "classifier.emb2vocab.weight" ? [.. v.Select(x => x * 0.5f)] : v);
        var decoder = MaskedLmReference.Tensors(copy)["classifier.emb2vocab.weight"];
        var head = new MaskedLanguageModelingLoss(TrainableEncoder.Load(copy, dropout: 0f)).Head;
        Assert.Equal("classifier.emb2vocab.weight", head.Decoder.Name);
        Assert.Contains(head.Decoder, head.Parameters);
        Assert.Equal(decoder, head.Decoder.Data.ToArray());

        var saved = MaskedLmReference.Tensors(MaskedLmReference.Train(copy, dir, "out", 2));
        Assert.NotEqual(decoder, saved["classifier.emb2vocab.weight"]);
        Assert.NotEqual(saved["embedding.word_embedding.weight"], saved["classifier.emb2vocab.weight"]);
    }

    [Fact]
    public void AFolderWithoutHeadGetsGptBertsInitialisation()
    {
        string dir = MaskedLmReference.TempDir();
        var model = TrainableEncoder.Load(MaskedLmReference.Rewrite(Tiny, dir, (k, v) => k.StartsWith("classifier.", StringComparison.Ordinal) ? null : v), dropout: 0f);
        var head = new MaskedLanguageModelingLoss(model, seed: 3).Head;
        Assert.Equal("embedding.word_embedding.weight", head.Decoder.Name);
        double std = Math.Sqrt(2.0 / (5.0 * 32));
        Assert.All(head.Parameters[0].Data.ToArray(), x => Assert.True(Math.Abs(x) <= 2 * std + 1e-7));
        Assert.All(head.Parameters[1].Data.ToArray(), x => Assert.Equal(1f, x));
        Assert.All(head.Parameters[2].Data.ToArray(), x => Assert.Equal(0f, x));
        Assert.All(head.Parameters[3].Data.ToArray(), x => Assert.Equal(1f, x));
    }
}
