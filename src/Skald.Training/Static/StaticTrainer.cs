using System.Diagnostics;
using Skald.Training.Data;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;
using Skald.Training.Trainer;

namespace Skald.Training.Static;

/// <summary>Settings of <see cref="StaticTrainer"/>.</summary>
public sealed record StaticTrainingOptions
{
    /// <summary>Rows per batch (in-batch negatives for MNRL: larger is better; 256–2048 for real data).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Passes over the data (ignored when <see cref="MaxSteps"/> is set).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>When &gt; 0: exactly this many updates, cycling over epochs as needed.</summary>
    public int MaxSteps { get; init; }

    /// <summary>Peak AdamW learning rate. Static tables with N(0, 1) rows train well at 0.1–0.5 (0.2: sentence-transformers' static recipe and the best of Skald's sweep on the sample pairs).</summary>
    public float LearningRate { get; init; } = 0.2f;

    /// <summary>Fraction of the updates spent warming the rate up linearly from 0.</summary>
    public float WarmupRatio { get; init; } = 0.1f;

    /// <summary>Rate after warm-up: <c>linear</c> (to 0, Hugging Face's default), <c>cosine</c> or <c>constant</c>.</summary>
    public string Schedule { get; init; } = "linear";

    /// <summary>AdamW decoupled weight decay (0 as sentence-transformers' default: decay would shrink every row each step).</summary>
    public float WeightDecay { get; init; }

    /// <summary>Global gradient-norm clip (Hugging Face's max_grad_norm 1.0); 0 = off.</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Seed of the batch order (the whole run is a pure function of it and the model's initial table).</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>A batch never holds the same text twice (it would be a false in-batch negative).</summary>
    public bool NoDuplicates { get; init; } = true;

    /// <summary>Called after every update with (step, loss); step counts from 1.</summary>
    public Action<int, float>? Progress { get; init; }
}

/// <summary>What a <see cref="StaticTrainer.Train(TextDataset)"/> run did.</summary>
/// <param name="Steps">Updates made.</param>
/// <param name="Losses">Loss of each update.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record StaticTrainingResult(int Steps, IReadOnlyList<float> Losses, TimeSpan Elapsed)
{
    /// <summary>Mean loss of the first tenth of the updates.</summary>
    public float FirstLoss => Losses.Count == 0 ? float.NaN : Losses.Take(Math.Max(1, Losses.Count / 10)).Average();

    /// <summary>Mean loss of the last tenth of the updates.</summary>
    public float LastLoss => Losses.Count == 0 ? float.NaN : Losses.Skip(Losses.Count - Math.Max(1, Losses.Count / 10)).Average();
}

/// <summary>
/// A small, self-contained training loop for static models: pairs/triplets (columns of texts) in no-duplicate shuffled
/// batches (<see cref="BatchPlanner"/>), every text tokenised once, the static forward, an embedding-level loss
/// (<see cref="MultipleNegativesRankingLoss"/>, optionally inside <see cref="MatryoshkaLoss"/>), the sparse backward,
/// gradient clipping and <see cref="AdamW"/> with warm-up and decay. Deterministic for a seed.
/// </summary>
public sealed class StaticTrainer
{
    private readonly Dictionary<string, int[]> tokenCache = new(StringComparer.Ordinal);

    /// <summary>A trainer of <paramref name="model"/> with <paramref name="loss"/>.</summary>
    public StaticTrainer(StaticEmbeddingTrainable model, IEmbeddingLoss loss, StaticTrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        Model = model;
        Loss = loss;
        Options = options ?? new StaticTrainingOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.BatchSize, 1, nameof(options));
        Optimizer = new AdamW(model.Parameters, weightDecay: Options.WeightDecay);
    }

    /// <summary>The model being trained.</summary>
    public StaticEmbeddingTrainable Model { get; }

    /// <summary>The embedding-level loss.</summary>
    public IEmbeddingLoss Loss { get; }

    /// <summary>Settings.</summary>
    public StaticTrainingOptions Options { get; }

    /// <summary>The optimiser (its moments persist across <see cref="Train(TextDataset)"/> calls).</summary>
    public AdamW Optimizer { get; }

    /// <summary>
    /// MultipleNegativesRankingLoss (scale 20, in-batch negatives), wrapped in MatryoshkaLoss over
    /// <paramref name="matryoshkaDims"/> (e.g. [256, 128, 64, 32]; widths above the model's are an error) when given.
    /// </summary>
    public static IEmbeddingLoss MnrlLoss(int[]? matryoshkaDims = null, float scale = 20f, bool symmetric = false)
    {
        var mnrl = new MultipleNegativesRankingLoss(scale, symmetric);
        return matryoshkaDims is { Length: > 0 } ? new MatryoshkaLoss(mnrl, matryoshkaDims) : mnrl;
    }

    /// <summary>Trains on rows given as columns of texts (anchor, positive, negatives...).</summary>
    public StaticTrainingResult Train(IReadOnlyList<IReadOnlyList<string>> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new ArgumentException("no columns", nameof(columns));
        int n = columns[0].Count;
        if (columns.Any(c => c.Count != n)) throw new ArgumentException("columns have different numbers of rows", nameof(columns));
        var rows = new string[n][];
        for (int i = 0; i < n; i++) rows[i] = [.. columns.Select(c => c[i])];
        return Train(new TextDataset("data", [.. Enumerable.Range(0, columns.Count).Select(i => $"column{i}")], rows));
    }

    /// <summary>Trains on <paramref name="data"/> (input columns by position; labels are passed to the loss).</summary>
    public StaticTrainingResult Train(TextDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException("no training rows", nameof(data));
        var clock = Stopwatch.StartNew();
        Pretokenize(data);
        var datasets = new[] { data };
        int batchSize = Math.Min(Options.BatchSize, data.Count);
        var epochs = new List<IReadOnlyList<PlannedBatch>>();
        IReadOnlyList<PlannedBatch> Plan(int epoch)
        {
            while (epochs.Count <= epoch)
                epochs.Add(BatchPlanner.PlanEpoch(datasets, batchSize, shuffle: true, Options.NoDuplicates, "round_robin", Options.Seed, epochs.Count));
            return epochs[epoch];
        }
        int total = Options.MaxSteps > 0 ? Options.MaxSteps : Enumerable.Range(0, Math.Max(1, Options.Epochs)).Sum(e => Plan(e).Count);
        var schedule = new LearningRateSchedule(Options.Schedule, Options.LearningRate, (int)Math.Ceiling(total * Options.WarmupRatio), total);
        var losses = new List<float>(total);
        int step = 0;
        for (int epoch = 0; step < total; epoch++)
        {
            foreach (var planned in Plan(epoch))
            {
                if (step >= total) break;
                float loss = Step(data.Batch(planned.Rows), schedule.At(step));
                losses.Add(loss);
                step++;
                Options.Progress?.Invoke(step, loss);
            }
        }
        return new StaticTrainingResult(step, losses, clock.Elapsed);
    }

    /// <summary>One update over <paramref name="batch"/> at <paramref name="learningRate"/>; returns the loss.</summary>
    public float Step(TrainingBatch batch, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Columns.Count == 0 || batch.Count == 0) throw new ArgumentException("empty batch", nameof(batch));
        var passes = new StaticBatch[batch.Columns.Count];
        for (int c = 0; c < passes.Length; c++) passes[c] = Model.Forward(Ids(batch.Columns[c]));
        var embeddings = passes.Select(p => p.Embeddings).ToArray();
        var grads = embeddings.Select(e => new EmbeddingBatch(e.Rows, e.Dim)).ToArray();
        float loss = Loss.Compute(embeddings, batch.Labels, grads);
        Model.ZeroGradients();
        for (int c = 0; c < passes.Length; c++) Model.Backward(passes[c], grads[c]);
        if (Options.MaxGradNorm > 0) GradientClipping.ClipGlobalNorm(Model.Parameters, Options.MaxGradNorm);
        Optimizer.Step(learningRate);
        Model.ZeroGradients();
        return loss;
    }

    private void Pretokenize(TextDataset data)
    {
        var missing = data.Rows.SelectMany(r => r).Distinct(StringComparer.Ordinal).Where(t => !tokenCache.ContainsKey(t)).ToArray();
        var ids = Model.Tokenize(missing);
        for (int i = 0; i < missing.Length; i++) tokenCache[missing[i]] = ids[i];
    }

    private int[][] Ids(IReadOnlyList<string> texts)
    {
        var result = new int[texts.Count][];
        List<int>? unknown = null;
        for (int i = 0; i < texts.Count; i++)
        {
            if (tokenCache.TryGetValue(texts[i], out var ids)) result[i] = ids;
            else (unknown ??= []).Add(i);
        }
        if (unknown is not null)
        {
            var fresh = Model.Tokenize([.. unknown.Select(i => texts[i])]);
            for (int k = 0; k < unknown.Count; k++) result[unknown[k]] = tokenCache[texts[unknown[k]]] = fresh[k];
        }
        return result;
    }
}
