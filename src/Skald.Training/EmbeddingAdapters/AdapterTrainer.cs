using Skald.Tensors;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;

namespace Skald.Training.EmbeddingAdapters;

/// <summary>
/// Trains a <see cref="QueryAdapter"/> on cached (query, passage) embeddings as llama_index's
/// <c>EmbeddingAdapterFinetuneEngine</c> does
/// (<see href="https://github.com/run-llama/llama_index/blob/0290b1436cf1f0744982a02c503dff1ddc99d2b9/llama-index-finetuning/llama_index/finetuning/embeddings/adapter_utils.py">adapter_utils.py</see>):
/// each step takes a batch of pairs, passes the queries through the adapter (passages stay as they are), scores
/// them with the repository's <see cref="MultipleNegativesRankingLoss"/> (cosine × scale, in-batch negatives), runs
/// the adapter's backward from the loss's embedding gradients, clips the gradient norm and steps AdamW under a linear
/// warm-up/decay schedule. Batches are reshuffled every epoch from the seed; the last short batch is kept.
/// </summary>
public static class AdapterTrainer
{
    /// <summary>Trains in place; <paramref name="log"/> gets (step, loss) after each step. Returns the mean loss of the last epoch.</summary>
    public static float Train(QueryAdapter adapter, IReadOnlyList<float[]> queries, IReadOnlyList<float[]> passages,
        AdapterTrainingOptions options, Action<int, float>? log = null)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        if (queries.Count != passages.Count || queries.Count == 0) throw new ArgumentException("need as many passages as queries, at least one");
        int d = adapter.Dimension, n = queries.Count, batch = Math.Max(1, Math.Min(options.BatchSize, n));
        int perEpoch = (n + batch - 1) / batch, total = perEpoch * Math.Max(1, options.Epochs);
        var schedule = new LearningRateSchedule("linear", options.LearningRate, (int)(total * options.WarmupFraction), total);
        var optimizer = new AdamW(adapter.Parameters, weightDecay: options.WeightDecay);
        var loss = new MultipleNegativesRankingLoss(options.Scale);
        var order = Enumerable.Range(0, n).ToArray();
        var random = new SkaldRandom(options.Seed);
        int step = 0;
        float lastEpoch = 0;
        for (int epoch = 0; epoch < Math.Max(1, options.Epochs); epoch++)
        {
            for (int i = n - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
            double sum = 0;
            for (int start = 0; start < n; start += batch)
            {
                int b = Math.Min(batch, n - start);
                var q = new float[b * d];
                var p = new float[b * d];
                for (int r = 0; r < b; r++)
                {
                    queries[order[start + r]].CopyTo(q, r * d);
                    passages[order[start + r]].CopyTo(p, r * d);
                }
                adapter.ZeroGrad();
                var adapted = adapter.Forward(q, b); // [b, D]
                EmbeddingBatch[] grads = [new(b, d), new(b, d)];
                float value = loss.Compute([new EmbeddingBatch(adapted, b, d), new EmbeddingBatch(p, b, d)], null, grads);
                adapter.Backward(grads[0].Data);
                GradientClipping.ClipGlobalNorm(adapter.Parameters, options.MaxGradNorm);
                optimizer.Step(schedule.At(step));
                step++;
                sum += value * b;
                log?.Invoke(step, value);
            }
            lastEpoch = (float)(sum / n);
        }
        return lastEpoch;
    }
}
