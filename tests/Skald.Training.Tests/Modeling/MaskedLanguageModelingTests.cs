using Skald.Tensors;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Modeling;

public sealed class MaskedLanguageModelingTests
{
    private static string NewBert(int hidden = 32, int layers = 1)
    {
        string tokenizer = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "tokenizers", "wordpiece-cased", "tokenizer.json");
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        return RandomBert.Create(dir, tokenizer, new BertShape(hidden, layers, 4, 2 * hidden, 64), seed: 11);
    }

    private static readonly string[] Texts =
    [
        "Toget til Bergen går klokka ni.", "Kor mykje kostar ein billett?", "Butikken åbner klokken otte.",
        "Var ligger närmaste apotek?", "Legekontoret er stengt i dag.",
    ];

    /// <summary>Analytic gradients of the masked-LM loss against central differences (same masks both sides).</summary>
    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var encoder = TrainableEncoder.Load(NewBert(), dropout: 0f);
        var mlm = new MaskedLanguageModeling(encoder, seed: 5);
        float Loss(bool backward) => mlm.Loss(Texts, new SkaldRandom(99), backward, maskProbability: 0.3f);

        foreach (var p in mlm.Parameters) p.Grad.Span.Clear();
        Loss(backward: true);
        var byName = mlm.Parameters.ToDictionary(p => p.Name);
        var checks = new (string Name, int Index)[]
        {
            ("cls.predictions.transform.dense.weight", 7), ("cls.predictions.bias", byName["cls.predictions.bias"].Length / 3),
            ("embeddings.word_embeddings.weight", 40 * 32 + 3), ("encoder.layer.0.intermediate.dense.weight", 17),
            ("cls.predictions.transform.LayerNorm.weight", 2),
        };
        int substantial = 0;
        foreach (var (name, index) in checks)
        {
            var p = byName[name];
            float saved = p.Data.Span[index], h = 1e-2f;
            p.Data.Span[index] = saved + h;
            double up = Loss(false);
            p.Data.Span[index] = saved - h;
            double down = Loss(false);
            p.Data.Span[index] = saved;
            double numeric = (up - down) / (2 * h), analytic = p.Grad.Span[index];
            if (Math.Abs(numeric) > 1e-3) substantial++;
            Assert.True(Math.Abs(numeric - analytic) <= 0.05 * Math.Abs(numeric) + 2e-4,
                $"{name}[{index}]: analytic {analytic:E3}, numeric {numeric:E3}");
        }
        Assert.True(substantial >= 3, "the checked gradients are too small to tell anything");
    }

    [Fact]
    public void PretrainingLowersTheLossOnTheCorpus()
    {
        var encoder = TrainableEncoder.Load(NewBert(hidden: 64, layers: 2), dropout: 0.1f);
        var corpus = File.ReadLines(Path.Combine(Skald.Tests.Repository.Root, "samples", "data", "corpus.txt")).Take(600).ToList();
        var result = new MaskedLanguageModeling(encoder).Train(corpus, new MlmOptions { Steps = 60, BatchSize = 16, LearningRate = 2e-3f });
        Assert.Equal(60, result.Steps);
        Assert.True(result.LastLoss < result.FirstLoss - 1.0, $"loss {result.FirstLoss:F2} → {result.LastLoss:F2}");
    }
}
