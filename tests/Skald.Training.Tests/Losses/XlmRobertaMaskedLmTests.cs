using Skald.Models.MaskedLm;
using Skald.Models.Architectures;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Masked-LM on XLM-RoBERTa: XLMRobertaForMaskedLM's head (lm_head.{dense, layer_norm, bias}) read from the checkpoint
/// (fixtures/models/xlmr-mlm-tiny), the &lt;mask&gt; token, logits, loss and gradients against the PyTorch reference for a
/// fixed masking (fixtures/training/xlmr_mlm.json), central differences, a folder without the head (BERT's
/// initialisation), and a `skald train` run that saves the XLMRobertaForMaskedLM layout and continues from its head.
/// </summary>
public sealed class XlmRobertaMaskedLmTests
{
    private static readonly string Tiny = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "xlmr-mlm-tiny");

    [Fact]
    public void HeadIsReadFromTheCheckpointAndMatchesPyTorch()
    {
        var model = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(model);
        var head = Assert.IsType<BertMaskedLmHead>(mlm.Head);
        Assert.Equal(["lm_head.dense.weight", "lm_head.dense.bias", "lm_head.layer_norm.weight", "lm_head.layer_norm.bias", "lm_head.bias"],
            head.Parameters.Select(p => p.Name));
        Assert.Same(((BertModel)model.Model.Transformer).WordEmbeddings, head.Decoder);
        Assert.Equal(MaskedLmLayout.XlmRoberta, head.Layout);
        Assert.Equal(model.Tokenizer.TokenToId("<mask>"), mlm.MaskId);
        Assert.Equal(MaskedLmReference.Tensors(Tiny)["lm_head.layer_norm.weight"], head.Parameters[2].Data.ToArray());
        MaskedLmReference.MatchesPyTorch(model, mlm, "xlmr_mlm.json", z => z);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var encoder = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(encoder, maskProbability: 0.4f, seed: 5);
        MaskedLmReference.MatchesFiniteDifferences(encoder, mlm,
        [
            ("lm_head.dense.weight", 7), ("lm_head.dense.bias", 3), ("lm_head.layer_norm.weight", 5), ("lm_head.bias", 300),
            ("embeddings.word_embeddings.weight", 400 * 32 + 3), ("encoder.layer.1.intermediate.dense.weight", 17),
        ]);
    }

    [Fact]
    public void SkaldTrainSavesXlmRobertaForMaskedLMAndContinuesFromItsHead()
    {
        string dir = MaskedLmReference.TempDir();
        string saved = MaskedLmReference.Train(Tiny, dir, "out", 4);
        var tensors = MaskedLmReference.Tensors(saved);
        foreach (var k in new[] { "roberta.embeddings.word_embeddings.weight", "roberta.encoder.layer.1.output.dense.weight",
                     "lm_head.dense.weight", "lm_head.layer_norm.bias", "lm_head.bias" })
            Assert.Contains(k, tensors.Keys);
        Assert.DoesNotContain(tensors.Keys, k => k.StartsWith("lm_head.decoder", StringComparison.Ordinal)); // tied
        Assert.DoesNotContain(tensors.Keys, k => !(k.StartsWith("roberta.", StringComparison.Ordinal) || k.StartsWith("lm_head.", StringComparison.Ordinal)));
        Assert.Equal("XLMRobertaForMaskedLM", MaskedLmReference.Architecture(saved));
        Assert.NotEqual(MaskedLmReference.Tensors(Tiny)["lm_head.dense.weight"], tensors["lm_head.dense.weight"]);

        var again = TrainableEncoder.Load(saved);
        var head = new MaskedLanguageModelingLoss(again).Parameters.ToDictionary(p => p.Name);
        Assert.Equal(tensors["lm_head.dense.weight"], head["lm_head.dense.weight"].Data.ToArray());
        Assert.Equal(tensors["lm_head.bias"], head["lm_head.bias"].Data.ToArray());

        string continued = MaskedLmReference.Train(saved, dir, "again", 2);
        Assert.NotEqual(tensors["lm_head.bias"], MaskedLmReference.Tensors(continued)["lm_head.bias"]);
    }

    [Fact]
    public void AFolderWithoutTheHeadGetsBertsInitialisation()
    {
        string dir = MaskedLmReference.TempDir();
        string encoderOnly = MaskedLmReference.Rewrite(Tiny, dir, (key, values) => key.StartsWith("lm_head.", StringComparison.Ordinal) ? null : values);
        var model = TrainableEncoder.Load(encoderOnly, dropout: 0f);
        var head = new MaskedLanguageModelingLoss(model, seed: 3).Head.Parameters.ToDictionary(p => p.Name);
        var dense = head["lm_head.dense.weight"].Data.ToArray();
        Assert.InRange(Math.Sqrt(dense.Select(x => (double)x * x).Average()), 0.015, 0.025); // normal, std 0.02
        Assert.All(head["lm_head.layer_norm.weight"].Data.ToArray(), x => Assert.Equal(1f, x));
        Assert.All(head["lm_head.bias"].Data.ToArray(), x => Assert.Equal(0f, x));
    }
}
