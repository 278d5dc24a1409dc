using Skald.Training.CrossEncoders;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// BCE gradients of a cross-encoder against central differences of the loss computed here from the model's logits
/// (mean over logits of max(z, 0) − z·y + log(1 + e^−|z|)), at chosen entries of named parameters (the encoder's and
/// the head's); shared by the per-architecture cross-encoder tests.
/// </summary>
internal static class BceGradientCheck
{
    /// <summary>
    /// Runs one <paramref name="loss"/> backward over the pairs with <paramref name="labels"/> (one per logit), checks the
    /// loss value, then each entry's gradient within 3% + 5e-5 of the central difference (step 1e-2); at least four of
    /// the entries must have a gradient above 1e-4 so the check tells something.
    /// </summary>
    public static void AssertMatchesCentralDifferences(TrainableEncoder model, BinaryCrossEntropyLoss loss, string[] queries,
        string[] documents, float[] labels, (string Name, int Index)[] entries)
    {
        double Loss()
        {
            var z = loss.Logits(model, queries, documents);
            double sum = 0;
            for (int i = 0; i < z.Length; i++) sum += Math.Max(z[i], 0) - z[i] * labels[i] + Math.Log(1 + Math.Exp(-Math.Abs(z[i])));
            return sum / z.Length;
        }

        model.ZeroGradients();
        foreach (var p in loss.Parameters) p.Grad.Span.Clear();
        float value = loss.ComputeAndBackward(model, new TrainingBatch([queries, documents], labels));
        Assert.Equal(Loss(), value, 1e-5);
        var byName = model.Parameters.Concat(loss.Parameters).ToDictionary(p => p.Name);
        int substantial = 0;
        foreach (var (name, index) in entries)
        {
            var p = byName[name];
            float saved = p.Data.Span[index], step = 1e-2f;
            p.Data.Span[index] = saved + step;
            double up = Loss();
            p.Data.Span[index] = saved - step;
            double down = Loss();
            p.Data.Span[index] = saved;
            double numeric = (up - down) / (2 * step), analytic = p.Grad.Span[index];
            if (Math.Abs(numeric) > 1e-4) substantial++;
            Assert.True(Math.Abs(numeric - analytic) <= 0.03 * Math.Abs(numeric) + 5e-5, $"{name}[{index}]: analytic {analytic:E3}, numeric {numeric:E3}");
        }
        Assert.True(substantial >= 4, "the checked gradients are too small to tell anything");
    }
}
