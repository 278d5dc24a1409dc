using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Masked-LM on NorBERT4 beyond what every architecture shares (<see cref="MaskedLmArchitectureTests"/>, row "norbert4"):
/// a stored classifier.emb2vocab.weight that differs from the word embeddings is the decoder itself, trained and saved
/// as its own.
/// </summary>
public sealed class GptBertMaskedLmTests
{
    [Fact]
    public void AStoredDecoderThatDiffersFromTheEmbeddingsIsTrainedAndSavedAsItsOwn()
    {
        string dir = MaskedLmReference.TempDir();
        string copy = MaskedLmReference.Rewrite(MaskedLmArchitecture.Of("norbert4").Path, dir, (k, v) => k == "classifier.emb2vocab.weight" ? [.. v.Select(x => x * 0.5f)] : v);
        var decoder = MaskedLmReference.Tensors(copy)["classifier.emb2vocab.weight"];
        var head = new MaskedLanguageModelingLoss(TrainableEncoder.Load(copy, dropout: 0f)).Head;
        Assert.Equal("classifier.emb2vocab.weight", head.Decoder.Name);
        Assert.Contains(head.Decoder, head.Parameters);
        Assert.Equal(decoder, head.Decoder.Data.ToArray());

        var saved = MaskedLmReference.Tensors(MaskedLmReference.Train(copy, dir, "out", 2));
        Assert.NotEqual(decoder, saved["classifier.emb2vocab.weight"]);
        Assert.NotEqual(saved["embedding.word_embedding.weight"], saved["classifier.emb2vocab.weight"]);
    }
}
