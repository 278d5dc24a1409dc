using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Training.Evaluation;
using Skald.Training.Optim;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.TestSupport;

/// <summary>
/// A tiny trainable bag-of-words model: words hash into <c>buckets</c> rows of a table, a text's embedding is the mean
/// of its rows. Dropout drops words (drawing from <see cref="Random"/>), so random-state resume is exercised.
/// </summary>
internal sealed class BowModel : ITrainableModel
{
    public const int Buckets = 97;
    public const int Dim = 8;
    private readonly Parameter table;

    public BowModel(ulong seed = 7)
    {
        var init = new SkaldRandom(seed);
        var data = new float[Buckets * Dim];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(init.NextGaussian() * 0.5);
        table = new Parameter("bow.weight", data, [Buckets, Dim], weightDecay: true);
        Random = new SkaldRandom(seed + 1);
        Source = ModelFolder.Read(InfraPaths.FixtureModel("bert-cased-mean"));
    }

    public ModelFolder Source { get; }

    public IReadOnlyList<Parameter> Parameters => [table];

    public int Dimension => Dim;

    public float Dropout { get; set; }

    public SkaldRandom Random { get; }

    /// <summary>Training-mode embedding: the words kept after dropout.</summary>
    public (float[] Vector, int[] Kept) Forward(string text)
    {
        var words = StableWords(text);
        var kept = Dropout > 0 ? words.Where(_ => Random.NextFloat() >= Dropout).ToArray() : words;
        if (kept.Length == 0) kept = words[..1];
        return (Mean(kept), kept);
    }

    public float[][] Encode(IReadOnlyList<string> texts, int batchSize = 32) => texts.Select(t => Mean(StableWords(t))).ToArray();

    public void ZeroGradients() => table.Grad.Span.Clear();

    /// <summary>The table in model.safetensors and the card as README.md.</summary>
    public void Save(string folder, string? modelCard = null, IReadOnlyList<Parameter>? head = null)
    {
        Directory.CreateDirectory(folder);
        SafeTensorsWriter.Write(Path.Combine(folder, "model.safetensors"), [new TensorToWrite(table.Name, table.Shape, table.Data)]);
        if (modelCard is not null) File.WriteAllText(Path.Combine(folder, "README.md"), modelCard);
    }

    /// <summary>Adds g/len to the rows of the words.</summary>
    public void Backward(int[] kept, float[] grad)
    {
        foreach (int w in kept)
        {
            for (int k = 0; k < Dim; k++) table.Grad.Span[w * Dim + k] += grad[k] / kept.Length;
        }
    }

    private static int[] StableWords(string text)
    {
        // string.GetHashCode is randomised per process; a fixed FNV hash keeps runs comparable across processes.
        return text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w =>
        {
            uint h = 2166136261;
            foreach (char ch in w) h = (h ^ ch) * 16777619;
            return (int)(h % Buckets);
        }).ToArray();
    }

    private float[] Mean(int[] words)
    {
        var v = new float[Dim];
        foreach (int w in words)
        {
            for (int k = 0; k < Dim; k++) v[k] += table.Data.Span[w * Dim + k] / words.Length;
        }
        return v;
    }
}

/// <summary>In-batch negatives with dot-product scores (MNRL without normalisation), for <see cref="BowModel"/>.</summary>
internal sealed class BowRankingLoss : ILoss
{
    /// <summary>Called before each micro-batch with its index (lets a test kill the run or poison a loss).</summary>
    public Func<int, float?>? Hook { get; set; }

    public int Calls { get; private set; }

    /// <summary>Every batch the loss was handed, in order.</summary>
    public List<TrainingBatch> Batches { get; } = [];

    public string Name => "mnrl";

    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var m = (BowModel)model;
        if (Hook?.Invoke(Calls++) is { } forced) return forced;
        Batches.Add(batch);
        int n = batch.Count;
        var a = batch.Columns[0].Select(m.Forward).ToArray();
        var p = batch.Columns[1].Select(m.Forward).ToArray();
        double loss = 0;
        var ga = a.Select(_ => new float[BowModel.Dim]).ToArray();
        var gp = p.Select(_ => new float[BowModel.Dim]).ToArray();
        for (int i = 0; i < n; i++)
        {
            var s = new double[n];
            for (int j = 0; j < n; j++) s[j] = Dot(a[i].Vector, p[j].Vector);
            double max = s.Max(), z = s.Sum(x => Math.Exp(x - max));
            loss += -(s[i] - max - Math.Log(z));
            for (int j = 0; j < n; j++)
            {
                float d = (float)((Math.Exp(s[j] - max) / z - (i == j ? 1 : 0)) / n * gradientScale);
                for (int k = 0; k < BowModel.Dim; k++)
                {
                    ga[i][k] += d * p[j].Vector[k];
                    gp[j][k] += d * a[i].Vector[k];
                }
            }
        }
        for (int i = 0; i < n; i++)
        {
            m.Backward(a[i].Kept, ga[i]);
            m.Backward(p[i].Kept, gp[i]);
        }
        return (float)(loss / n);
    }

    private static double Dot(float[] x, float[] y)
    {
        double s = 0;
        for (int k = 0; k < x.Length; k++) s += x[k] * y[k];
        return s;
    }
}

/// <summary>SGD with momentum; its momentum buffers are the checkpointed state.</summary>
internal sealed class MomentumSgd(IReadOnlyList<Parameter> parameters, float momentum = 0.9f) : IOptimizer
{
    private readonly float[][] velocity = parameters.Select(p => new float[p.Data.Length]).ToArray();

    public long StepCount { get; private set; }

    public void Step(float learningRate)
    {
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            for (int k = 0; k < p.Data.Length; k++)
            {
                velocity[i][k] = momentum * velocity[i][k] + p.Grad.Span[k];
                p.Data.Span[k] -= learningRate * velocity[i][k];
            }
        }
        StepCount++;
    }

    public IReadOnlyList<TensorToWrite> ExportState() =>
        parameters.Select((p, i) => new TensorToWrite("v." + p.Name, p.Shape, velocity[i])).ToArray();

    public void ImportState(IReadOnlyDictionary<string, float[]> state, long stepCount)
    {
        for (int i = 0; i < parameters.Count; i++) state["v." + parameters[i].Name].CopyTo(velocity[i], 0);
        StepCount = stepCount;
    }

    public static float Clip(IReadOnlyList<Parameter> ps, float maxNorm)
    {
        double sum = ps.Sum(p => p.Grad.ToArray().Sum(g => (double)g * g));
        float norm = (float)Math.Sqrt(sum);
        if (norm > maxNorm)
        {
            float f = maxNorm / (norm + 1e-6f);
            foreach (var p in ps)
            {
                for (int k = 0; k < p.Grad.Length; k++) p.Grad.Span[k] *= f;
            }
        }
        return norm;
    }
}

/// <summary>An evaluator returning scripted values (one per call).</summary>
internal sealed class ScriptedEvaluator(params double[] values) : IEvaluator
{
    private int calls;

    public string Name => "scripted";

    /// <summary>A task puts the scores in a model card's model-index; none by default.</summary>
    public string? Task { get; init; }

    /// <summary>The metric's key (eval_scripted_score by default).</summary>
    public string Metric { get; init; } = "eval_scripted_score";

    public IReadOnlyList<string> MetricNames => [Metric];

    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize) =>
        new Dictionary<string, double> { [Metric] = values[Math.Min(calls++, values.Length - 1)] };
}

/// <summary>
/// An evaluator of two scripted metrics, reported in the order a retrieval evaluator reports its own:
/// <c>eval_ranked_accuracy@1</c> first, then <c>eval_ranked_ndcg@10</c>, its primary metric (as upstream's
/// InformationRetrievalEvaluator's).
/// </summary>
internal sealed class RankedScriptedEvaluator(double[] accuracy, double[] ndcg) : IEvaluator
{
    private int calls;

    public string Name => "ranked";

    public IReadOnlyList<string> MetricNames => ["eval_ranked_accuracy@1", "eval_ranked_ndcg@10"];

    public string PrimaryMetric => "eval_ranked_ndcg@10";

    public IReadOnlyDictionary<string, double> Evaluate(ITrainableModel model, int batchSize)
    {
        int i = calls++;
        return new Dictionary<string, double>
        {
            ["eval_ranked_accuracy@1"] = accuracy[Math.Min(i, accuracy.Length - 1)],
            ["eval_ranked_ndcg@10"] = ndcg[Math.Min(i, ndcg.Length - 1)],
        };
    }
}
