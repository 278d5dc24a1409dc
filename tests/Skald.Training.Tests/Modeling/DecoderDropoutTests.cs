using Skald.Tensors;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Modeling;

/// <summary>
/// Attention dropout on decoders (transformers' attention_dropout, LLM2Vec's simcse_dropout): the tape's dropout drops
/// attention probabilities in training passes only, one seed per layer from the model's generator, so a replayed pass
/// (GradCache) sees the same masks.
/// </summary>
public sealed class DecoderDropoutTests
{
    private static readonly string Decoder = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "decoder-qwen2");

    private static readonly string[] Texts = ["spørsmål om toget", "svar: toget går klokka tolv", "hej", "en litt lengre setning om været i dag"];

    private static float[] TrainingForward(TrainableEncoder model, bool record)
    {
        using var pass = model.BeginPass(record: record);
        return pass.Forward(Texts).Data;
    }

    [Fact]
    public void InferenceAndZeroDropoutAreUnchanged()
    {
        var model = TrainableEncoder.Load(Decoder, dropout: 0.3f, seed: 5);
        var before = model.Random.SaveState();
        var inference = model.Encode(Texts, batchSize: Texts.Length);
        Assert.Equal(before, model.Random.SaveState()); // inference draws no seed

        model.Dropout = 0f; // a training pass without dropout: the inference numbers, bit for bit, and no draw
        // (the FMA kernels' claim: on AMX hosts a training pass forms its Linear products from six bfloat16 terms)
        int route = Skald.Tensors.Quantization.SixTermProducts.Override;
        Skald.Tensors.Quantization.SixTermProducts.Override = -1;
        float[] zero;
        try
        {
            zero = TrainingForward(model, record: true);
        }
        finally
        {
            Skald.Tensors.Quantization.SixTermProducts.Override = route;
        }
        Assert.Equal(before, model.Random.SaveState());
        int dim = model.Dimension;
        for (int i = 0; i < Texts.Length; i++) Assert.Equal(inference[i], zero.AsSpan(i * dim, dim).ToArray());

        model.Dropout = 0.3f; // with dropout the attention probabilities are dropped: different embeddings, one draw per layer
        var dropped = TrainingForward(model, record: true);
        var expected = new SkaldRandom(0);
        expected.RestoreState(before);
        for (int layer = 0; layer < model.Config.NumLayers; layer++) expected.NextUInt64();
        Assert.Equal(expected.SaveState(), model.Random.SaveState());
        Assert.True(dropped.Zip(zero).Max(x => Math.Abs(x.First - x.Second)) > 1e-3f, "attention dropout changed nothing");
    }

    [Fact]
    public void ARecordedReplayGivesTheSameMasks()
    {
        var model = TrainableEncoder.Load(Decoder, dropout: 0.3f, seed: 9);
        var state = model.Random.SaveState();
        var first = TrainingForward(model, record: false); // GradCache's first pass
        var next = TrainingForward(model, record: false);  // the generator moved on: other masks
        model.Random.RestoreState(state);
        var replay = TrainingForward(model, record: true); // its recorded second pass
        Assert.Equal(first, replay);
        Assert.NotEqual(first, next);
    }

    [Fact]
    public void CachedLossEqualsTheFullBatchLossWithDropout()
    {
        // GradCache replays each column's mini-batch with its saved generator state; with the same start state and one
        // mini-batch per column its loss and gradients equal the plain loss's (which draws the masks in the same order):
        // the replayed masks are the first pass's.
        var batch = new TrainingBatch([Texts, [.. Texts.Reverse()]]);
        (float Loss, float[][] Grads, ulong[] After) Run(ILoss loss)
        {
            var model = TrainableEncoder.Load(Decoder, dropout: 0.3f, seed: 13);
            model.ZeroGradients();
            float value = loss.ComputeAndBackward(model, batch);
            return (value, [.. model.Parameters.Select(p => p.Grad.ToArray())], model.Random.SaveState());
        }
        var plain = Run(new MultipleNegativesRankingLoss());
        var cached = Run(new CachedMultipleNegativesRankingLoss(miniBatchSize: Texts.Length));
        Assert.Equal(plain.Loss, cached.Loss, 1e-5f);
        Assert.Equal(plain.After, cached.After);
        for (int k = 0; k < plain.Grads.Length; k++)
        {
            float scale = plain.Grads[k].Max(Math.Abs);
            for (int i = 0; i < plain.Grads[k].Length; i++)
                Assert.True(Math.Abs(plain.Grads[k][i] - cached.Grads[k][i]) <= 1e-4f * scale + 1e-7f, $"parameter {k}[{i}]: {plain.Grads[k][i]} vs {cached.Grads[k][i]}");
        }
        var noDropout = TrainableEncoder.Load(Decoder, dropout: 0f, seed: 13);
        noDropout.ZeroGradients();
        Assert.NotEqual(plain.Loss, new MultipleNegativesRankingLoss().ComputeAndBackward(noDropout, batch));
    }
}
