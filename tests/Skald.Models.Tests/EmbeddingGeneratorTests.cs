using Microsoft.Extensions.AI;

namespace Skald.Models.Tests;

public sealed class EmbeddingGeneratorTests
{
    [Fact]
    public async Task GeneratorGivesTheEncoderEmbeddingsAndMetadata()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        using IEmbeddingGenerator<string, Embedding<float>> generator = new SkaldEmbeddingGenerator(model, modelId: "tiny");
        string[] texts = ["Hvor ligger biblioteket?", "Biblioteket ligger i sentrum."];

        var generated = await generator.GenerateAsync(texts);
        var direct = model.Encode(texts);

        Assert.Equal(2, generated.Count);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(direct[i], generated[i].Vector.ToArray());
        long tokens = texts.Sum(t => (long)model.Tokenizer.Encode(t, true).Ids.Length); // [CLS] … [SEP] of each (no prompt here)
        Assert.Equal(tokens, generated.Usage!.InputTokenCount);
        Assert.Equal(tokens, generated.Usage.TotalTokenCount);
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        Assert.NotNull(metadata);
        Assert.Equal(model.Dimension, metadata.DefaultModelDimensions);
        Assert.Equal("tiny", metadata.DefaultModelId);
        Assert.Same(model, generator.GetService<SentenceEncoder>());
    }

    [Fact]
    public async Task TheBinaryGeneratorGivesTheSignBitsOfTheEmbeddings()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        using IEmbeddingGenerator<string, BinaryEmbedding> generator = new SkaldBinaryEmbeddingGenerator(model, modelId: "tiny");
        string[] texts = ["Hvor ligger biblioteket?", "Biblioteket ligger i sentrum."];
        var generated = await generator.GenerateAsync(texts);
        var direct = model.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(model.Dimension, generated[i].Dimensions);
            for (int d = 0; d < model.Dimension; d++) Assert.Equal(direct[i][d] > 0, generated[i].Vector[d]);
            Assert.Equal("tiny", generated[i].ModelId);
        }
        Assert.Contains(false, direct[0].Select(v => v > 0)); // both signs occur: the bits are not all equal
        Assert.Contains(true, direct[0].Select(v => v > 0));
        Assert.Equal(model.Dimension, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
    }

    [Fact]
    public async Task WrongDimensionsRequestIsRefused()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        using var generator = new SkaldEmbeddingGenerator(model);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = model.Dimension + 1 }));
    }

    [Fact]
    public async Task FewerDimensionsAreTheFirstValuesAtUnitLengthAsOpenAiGivesThem()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        using var generator = new SkaldEmbeddingGenerator(model);
        string[] texts = ["Hvor ligger biblioteket?", "Biblioteket ligger i sentrum."];
        var generated = await generator.GenerateAsync(texts, new EmbeddingGenerationOptions { Dimensions = 8 });
        var full = model.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var head = full[i][..8];
            float norm = MathF.Sqrt(head.Sum(v => v * v));
            Assert.Equal(8, generated[i].Vector.Length);
            for (int d = 0; d < 8; d++) Assert.Equal(head[d] / norm, generated[i].Vector.Span[d], 5);
        }
    }

    [Fact]
    public async Task CancellingTheTokenStopsEncodingBeforeTheNextBatch()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        using var cancel = new CancellationTokenSource();
        int batches = 0;
        // one text a batch; the token is cancelled as the first batch finishes, so the other two never run
        var defaults = new EncodeOptions { BatchSize = 1, Progress = (_, _) => { batches++; cancel.Cancel(); } };
        using var generator = new SkaldEmbeddingGenerator(model, defaults);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            generator.GenerateAsync(["Hei verden", "Hej världen", "Hallo verda"], cancellationToken: cancel.Token));
        Assert.Equal(1, batches);
    }

    [Fact]
    public void EncodeWithACancelledTokenRunsNoBatch()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        int batches = 0;
        var options = new EncodeOptions { Progress = (_, _) => batches++ };
        Assert.ThrowsAny<OperationCanceledException>(() => model.Encode(["Hei verden"], options, new CancellationToken(canceled: true)));
        Assert.Equal(0, batches);
        Assert.Single(model.Encode(["Hei verden"], options, CancellationToken.None));
        Assert.Equal(1, batches);
    }

    [Fact]
    public void SimilarityUsesTheModelsFunction()
    {
        var dot = SentenceEncoder.Load(TestPaths.FixtureModel("bert-uncased-max"));
        Assert.Equal(Skald.Models.Modules.SimilarityFunction.Dot, dot.SimilarityFunction);
        float[] a = [1f, 2f], b = [3f, 4f];
        Assert.Equal(11f, dot.Similarity(a, b));
        var cosine = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        Assert.Equal(11f / (MathF.Sqrt(5f) * 5f), cosine.Similarity(a, b), 6);
        var matrix = cosine.Similarity([a, b], [b]);
        Assert.Equal(1f, matrix[1, 0], 6);
    }
}
