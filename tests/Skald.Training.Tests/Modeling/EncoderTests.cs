using Skald.Tensors.Tests.Autograd;
using Skald.Models;
using Skald.Tensors;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Modeling;

public sealed class EncoderTests
{
    private static readonly ulong DirectionSeed = ulong.Parse(Environment.GetEnvironmentVariable("SKALD_GRADCHECK_SEED") ?? "1000");

    private static readonly string[] Texts =
    [
        "Hvor ligger legekontoret?", "Kor mykje kostar billetten i dag, og kva tid går bussen?", "Hej", "Var finns närmaste apotek?",
        "Æøå ÆØÅ äö", "Dette er en litt lengre setning som har mange flere ord enn de andre setningene i listen.",
    ];

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("bert-uncased-max")]
    [InlineData("xlmr-cls-f16")]
    [InlineData("plain-bert")]
    public void Encode_MatchesSentenceEncoder(string name)
    {
        string folder = CorePaths.FixtureModel(name);
        var expected = SentenceEncoder.Load(folder).Encode(Texts, new EncodeOptions { BatchSize = 4 });
        var model = TrainableEncoder.Load(folder);
        var actual = model.Encode(Texts, batchSize: 4);
        Assert.Equal(expected[0].Length, model.Dimension);
        for (int i = 0; i < Texts.Length; i++)
        {
            for (int j = 0; j < expected[i].Length; j++) Assert.True(Math.Abs(expected[i][j] - actual[i][j]) < 1e-5f, $"{name} text {i} dim {j}");
        }
    }

    [Fact]
    public void Parameters_NamedByCheckpointKey_WithDecayGroups()
    {
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-uncased-max"));
        var names = model.Parameters.Select(p => p.Name).ToList();
        Assert.Equal("embeddings.word_embeddings.weight", names[0]);
        Assert.Contains("encoder.layer.1.attention.self.query.weight", names);
        Assert.Contains("2_Dense/linear.weight", names);
        Assert.Contains("2_Dense/linear.bias", names);
        Assert.DoesNotContain(names, n => n.StartsWith("pooler", StringComparison.Ordinal) || n.StartsWith("bert.", StringComparison.Ordinal));
        Assert.Equal(5 + 2 * 16 + 2, names.Count);
        foreach (var p in model.Parameters)
            Assert.Equal(!(p.Name.EndsWith(".bias", StringComparison.Ordinal) || p.Name.Contains("LayerNorm", StringComparison.Ordinal)), p.WeightDecay);
        Assert.Equal(16, model.Dimension);
    }

    /// <summary>
    /// Directional derivative of a random linear function of the embeddings over ALL parameters (with dropout: the
    /// same masks, by restoring the generator). Max pooling and ReLU have kinks, hence the smaller steps there.
    /// </summary>
    [Theory]
    [InlineData("bert-cased-mean", 0f, 2e-4)]
    [InlineData("bert-cased-mean", 0.1f, 2e-4)]
    [InlineData("bert-uncased-max", 0.1f, 2e-6)]
    [InlineData("bert-uncased-max", 0f, 2e-6)]
    [InlineData("xlmr-cls-f16", 0f, 2e-6)]
    public void WholeEncoder_GradientMatchesFiniteDifferences(string name, float dropout, double eps)
    {
        var model = TrainableEncoder.Load(CorePaths.FixtureModel(name), dropout, seed: 3);
        string[] texts = ["Hvor ligger legekontoret?", "Hej", "Var finns närmaste apotek i byen?"];
        var rng = new SkaldRandom(11);
        var r = new float[texts.Length * model.Dimension];
        rng.FillUniform(r, -1f, 1f);
        var state = model.Random.SaveState();
        model.ZeroGradients();
        using (var pass = model.BeginPass())
        {
            var e = pass.Forward(texts);
            pass.Backward([new EmbeddingBatch((float[])r.Clone(), e.Rows, e.Dim)]);
        }
        var dir = model.Parameters.Select((p, k) => TapeGradCheck.Random(p.Length, (ulong)k + DirectionSeed, 1f)).ToArray();
        double analytic = 0;
        for (int k = 0; k < dir.Length; k++)
        {
            for (int i = 0; i < dir[k].Length; i++) analytic += (double)dir[k][i] * model.Parameters[k].Grad.Span[i];
        }
        double Loss(double step)
        {
            for (int k = 0; k < dir.Length; k++)
            {
                var d = model.Parameters[k].Data.Span;
                for (int i = 0; i < d.Length; i++) d[i] += (float)(step * dir[k][i]);
            }
            model.Random.RestoreState(state);
            using var pass = model.BeginPass(record: false);
            var e = pass.Forward(texts);
            for (int k = 0; k < dir.Length; k++)
            {
                var d = model.Parameters[k].Data.Span;
                for (int i = 0; i < d.Length; i++) d[i] -= (float)(step * dir[k][i]);
            }
            double s = 0;
            for (int i = 0; i < r.Length; i++) s += (double)r[i] * e.Data[i];
            return s;
        }
        double numeric = (Loss(eps) - Loss(-eps)) / (2 * eps);
        Assert.True(Math.Abs(analytic - numeric) <= 2e-2 * Math.Abs(numeric) + 1e-3, $"analytic {analytic}, numeric {numeric}");
    }

    [Fact]
    public void GradCache_WithDropout_IsConsistentWithItsLoss()
    {
        // If the second GradCache pass drew other dropout masks than the first, the gradient would not be the
        // derivative of the loss the first pass computed.
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), 0.1f, seed: 8);
        var batch = new TrainingBatch([["Hvor ligger legekontoret?", "Hej", "Var finns apotek?"], ["Legekontoret ligger her.", "Hallo", "Apoteket er stengt."]]);
        var loss = new CachedMultipleNegativesRankingLoss(miniBatchSize: 2);
        var state = model.Random.SaveState();
        model.ZeroGradients();
        loss.ComputeAndBackward(model, batch);
        var after = model.Random.SaveState();
        var dir = model.Parameters.Select((p, k) => TapeGradCheck.Random(p.Length, (ulong)k + 100, 1f)).ToArray();
        double analytic = 0;
        for (int k = 0; k < dir.Length; k++)
        {
            for (int i = 0; i < dir[k].Length; i++) analytic += (double)dir[k][i] * model.Parameters[k].Grad.Span[i];
        }
        double Loss(double step)
        {
            var saved = model.Parameters.Select(p => p.Data.ToArray()).ToArray();
            for (int k = 0; k < dir.Length; k++)
            {
                for (int i = 0; i < dir[k].Length; i++) model.Parameters[k].Data.Span[i] += (float)(step * dir[k][i]);
            }
            model.Random.RestoreState(state);
            float value = loss.ComputeAndBackward(model, batch);
            for (int k = 0; k < dir.Length; k++) saved[k].CopyTo(model.Parameters[k].Data);
            return value;
        }
        const double eps = 5e-4;
        double numeric = (Loss(eps) - Loss(-eps)) / (2 * eps);
        Assert.True(Math.Abs(analytic - numeric) <= 3e-2 * Math.Abs(numeric) + 2e-3, $"analytic {analytic}, numeric {numeric}");
        Assert.Equal(after, model.Random.SaveState());
    }
}
