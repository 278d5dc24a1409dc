using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.MaskedLm;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Masked-LM on DistilBERT: DistilBertForMaskedLM's head (vocab_transform, vocab_layer_norm, vocab_projector.bias, the
/// projector's weight tied to the word embeddings) read from the checkpoint (fixtures/models/distilbert-tiny), the
/// [MASK] token, logits, loss and gradients against the PyTorch reference for a fixed masking
/// (fixtures/training/distilbert_mlm.json, make_mlm.py), central differences, a folder without the head (BERT's
/// initialisation), a `skald train` run that saves the DistilBertForMaskedLM layout and continues from its head, and a
/// SPLADE run (model.type splade) whose sparse encoder loads back with that head.
/// </summary>
public sealed class DistilBertMaskedLmTests
{
    private static readonly string Tiny = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "distilbert-tiny");

    [Fact]
    public void HeadIsReadFromTheCheckpointAndMatchesPyTorch()
    {
        var model = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(model);
        var head = Assert.IsType<DistilBertMaskedLmHead>(mlm.Head);
        Assert.Equal(["vocab_transform.weight", "vocab_transform.bias", "vocab_layer_norm.weight", "vocab_layer_norm.bias", "vocab_projector.bias"],
            head.Parameters.Select(p => p.Name));
        Assert.Same(((DistilBert)model.Model.Transformer).WordEmbeddings, head.Decoder);
        Assert.Equal(MaskedLmLayout.DistilBert, head.Layout);
        Assert.True(head.FromCheckpoint);
        Assert.Equal(model.Tokenizer.TokenToId("[MASK]"), mlm.MaskId);
        Assert.Equal(MaskedLmReference.Tensors(Tiny)["vocab_layer_norm.weight"], head.Parameters[2].Data.ToArray());
        MaskedLmReference.MatchesPyTorch(model, mlm, "distilbert_mlm.json", z => z);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var encoder = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(encoder, maskProbability: 0.4f, seed: 5);
        MaskedLmReference.MatchesFiniteDifferences(encoder, mlm,
        [
            ("vocab_transform.weight", 7), ("vocab_transform.bias", 3), ("vocab_layer_norm.weight", 5), ("vocab_projector.bias", 300),
            ("embeddings.word_embeddings.weight", 400 * 32 + 3), ("transformer.layer.1.ffn.lin1.weight", 17),
        ]);
    }

    [Fact]
    public void SkaldTrainSavesDistilBertForMaskedLMAndContinuesFromItsHead()
    {
        string dir = MaskedLmReference.TempDir();
        string saved = MaskedLmReference.Train(Tiny, dir, "out", 4);
        var tensors = MaskedLmReference.Tensors(saved);
        foreach (var k in new[] { "distilbert.embeddings.word_embeddings.weight", "distilbert.transformer.layer.1.ffn.lin2.weight",
                     "vocab_transform.weight", "vocab_layer_norm.bias", "vocab_projector.bias" })
            Assert.Contains(k, tensors.Keys);
        Assert.DoesNotContain("vocab_projector.weight", tensors.Keys); // tied
        Assert.DoesNotContain(tensors.Keys, k => !(k.StartsWith("distilbert.", StringComparison.Ordinal) || k.StartsWith("vocab_", StringComparison.Ordinal)));
        Assert.Equal("DistilBertForMaskedLM", MaskedLmReference.Architecture(saved));
        Assert.NotEqual(MaskedLmReference.Tensors(Tiny)["vocab_transform.weight"], tensors["vocab_transform.weight"]);

        var again = TrainableEncoder.Load(saved);
        Assert.IsType<DistilBert>(again.Model.Transformer);
        var head = new MaskedLanguageModelingLoss(again).Parameters.ToDictionary(p => p.Name);
        Assert.Equal(tensors["vocab_transform.weight"], head["vocab_transform.weight"].Data.ToArray());
        Assert.Equal(tensors["vocab_projector.bias"], head["vocab_projector.bias"].Data.ToArray());

        string continued = MaskedLmReference.Train(saved, dir, "again", 2);
        Assert.NotEqual(tensors["vocab_projector.bias"], MaskedLmReference.Tensors(continued)["vocab_projector.bias"]);
    }

    [Fact]
    public void AFolderWithoutTheHeadGetsBertsInitialisation()
    {
        string dir = MaskedLmReference.TempDir();
        string encoderOnly = MaskedLmReference.Rewrite(Tiny, dir, (key, values) => key.StartsWith("vocab_", StringComparison.Ordinal) ? null : values);
        var model = TrainableEncoder.Load(encoderOnly, dropout: 0f);
        var loss = new MaskedLanguageModelingLoss(model, seed: 3);
        Assert.False(loss.Head.FromCheckpoint);
        var head = loss.Head.Parameters.ToDictionary(p => p.Name);
        var dense = head["vocab_transform.weight"].Data.ToArray();
        Assert.InRange(Math.Sqrt(dense.Select(x => (double)x * x).Average()), 0.015, 0.025); // normal, std 0.02
        Assert.All(head["vocab_layer_norm.weight"].Data.ToArray(), x => Assert.Equal(1f, x));
        Assert.All(head["vocab_projector.bias"].Data.ToArray(), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void ADistilBertTrainsIntoASparseEncoderThatLoadsBack()
    {
        string dir = MaskedLmReference.TempDir();
        string data = Path.Combine(dir, "triplets.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 12).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i % 7}.\"}}"));
        var config = ConfigLoader.Parse($$"""
            model: {path: {{Tiny}}, type: splade, dropout: 0.0}
            data: {train: {{data}}}
            training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: 3}
            loss: {type: splade, document_regularizer_weight: 0.03, query_regularizer_weight: 0.05}
            output: {dir: {{Path.Combine(dir, "splade")}}, tensorboard: false}
            """, "splade.yaml");
        var result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        Assert.Equal(3, result.Steps);

        var model = SentenceEncoder.Load(result.ModelPath);
        Assert.True(model.IsSparse);
        Assert.IsType<DistilBertMaskedLmHead>(model.SpladeHead);
        Assert.True(model.SpladeHead!.FromCheckpoint);
        Assert.Equal(800, model.Dimension);
        Assert.Equal("DistilBertForMaskedLM", MaskedLmReference.Architecture(result.ModelPath));
        var tensors = MaskedLmReference.Tensors(result.ModelPath);
        Assert.Contains("vocab_transform.weight", tensors.Keys);
        Assert.Contains("distilbert.embeddings.word_embeddings.weight", tensors.Keys);
        var rows = model.Encode(["Hvor ligger huset?", "Bussen går klokka sju."]);
        Assert.All(rows, r => Assert.All(r, x => Assert.True(x >= 0f)));   // log(1 + relu(·)), max-pooled
        Assert.All(rows, r => Assert.Contains(r, x => x > 0f));
    }
}
