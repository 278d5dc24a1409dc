using System.Text;
using Skald.Tensors;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Modeling;
using Skald.Training.Output;
using Skald.Training.Static;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Static;

/// <summary>Paths, scratch folders and small synthetic tokenizers and data for the static-model tests.</summary>
internal static class StaticFixtures
{
    public static string RepoRoot { get; } = Skald.Tests.Repository.Root;

    public static string FixtureModel(string name) => Path.Combine(RepoRoot, "fixtures", "models", name);

    public static string NewTempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", "static-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A new static model (N(0, 1) table from <paramref name="seed"/>) over <paramref name="tokenizerJson"/>, saved and loaded for training.</summary>
    public static TrainableEncoder NewModel(string tokenizerJson, int dim, ulong seed, bool normalize = false)
    {
        string dir = NewTempDir();
        string tokenizer = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(tokenizer, tokenizerJson);
        return TrainableEncoder.Load(StaticModelWriter.CreateRandom(Path.Combine(dir, "model"), tokenizer, dim, normalize, seed), dropout: 0);
    }

    /// <summary>
    /// Trains the static model in <paramref name="modelPath"/> with the one trainer (as <c>skald static train</c> does:
    /// AdamW, 10% warm-up, no weight decay) on (anchor, positive) rows; returns the result and the logged losses.
    /// </summary>
    public static (TrainingResult Result, double[] Losses) Train(string modelPath, string[] anchors, string[] positives, LossSection loss,
        int batchSize, int steps, float lr, ulong seed, int epochs = 1)
    {
        var config = new TrainingConfig
        {
            Model = new ModelSection(modelPath, Dropout: 0) { Type = "static" },
            Data = new DataSection([]),
            Training = new TrainingSection
            {
                BatchSize = batchSize, MaxSteps = steps, Epochs = epochs, LearningRate = lr, WarmupRatio = 0.1f, WeightDecay = 0, Seed = seed,
                LoggingSteps = 1,
            },
            Loss = loss,
            Evaluation = new EvaluationSection(),
            Output = new OutputSection { Dir = Path.Combine(NewTempDir(), "run"), SaveSteps = 0, Tensorboard = false },
        };
        var data = new TextDataset("pairs", ["anchor", "positive"], [.. anchors.Zip(positives, (a, p) => new[] { a, p })]);
        var result = new SentenceTrainer(TrainingRun.Build(config, [data], null)).Run();
        var losses = MetricsLog.ReadAll(Path.Combine(config.Output.Dir, "metrics.jsonl")).Select(r => r["loss"]!.Value).ToArray();
        return (result, losses);
    }

    /// <summary>A WordLevel tokenizer.json over <paramref name="words"/> (id = position) plus [UNK], split on whitespace.</summary>
    public static string WordLevelJson(IReadOnlyList<string> words)
    {
        var sb = new StringBuilder();
        sb.Append("{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],\"normalizer\":null,")
          .Append("\"pre_tokenizer\":{\"type\":\"WhitespaceSplit\"},\"post_processor\":null,\"decoder\":null,")
          .Append("\"model\":{\"type\":\"WordLevel\",\"vocab\":{");
        for (int i = 0; i < words.Count; i++) sb.Append($"\"{words[i]}\":{i},");
        sb.Append($"\"[UNK]\":{words.Count}}},\"unk_token\":\"[UNK]\"}}}}");
        return sb.ToString();
    }

    /// <summary>
    /// A retrieval task a static model can only solve by training: each topic has its own anchor words and its own
    /// (disjoint) positive words; every text also holds shared noise words. Random tables put anchors near
    /// positives only by chance.
    /// </summary>
    public sealed class TopicTask
    {
        public const int Topics = 32, WordsPerSide = 4, Noise = 48;

        public TopicTask()
        {
            Words = [.. Enumerable.Range(0, Topics * WordsPerSide * 2).Select(i => $"t{i}"), .. Enumerable.Range(0, Noise).Select(i => $"n{i}")];
            TokenizerJson = WordLevelJson(Words);
        }

        public string[] Words { get; }

        public string TokenizerJson { get; }

        /// <summary>(anchor, positive, topic) rows drawn with <paramref name="seed"/>.</summary>
        public (string[] Anchors, string[] Positives, int[] Topic) Sample(int count, ulong seed)
        {
            var rng = new SkaldRandom(seed);
            var a = new string[count];
            var p = new string[count];
            var t = new int[count];
            for (int i = 0; i < count; i++)
            {
                int topic = i < Topics ? i : rng.Next(Topics);
                t[i] = topic;
                a[i] = Text(rng, topic, side: 0);
                p[i] = Text(rng, topic, side: 1);
            }
            return (a, p, t);
        }

        private static string Text(SkaldRandom rng, int topic, int side)
        {
            int baseId = (topic * 2 + side) * WordsPerSide;
            var parts = new List<string>
            {
                $"t{baseId + rng.Next(WordsPerSide)}", $"t{baseId + rng.Next(WordsPerSide)}",
                $"n{rng.Next(Noise)}", $"n{rng.Next(Noise)}", $"n{rng.Next(Noise)}",
            };
            for (int i = parts.Count - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (parts[i], parts[j]) = (parts[j], parts[i]);
            }
            return string.Join(' ', parts);
        }
    }

    /// <summary>Accuracy@1 of anchor i retrieving positive i among all positives (cosine).</summary>
    public static double RetrievalAccuracy(float[][] anchors, float[][] positives)
    {
        int hits = 0;
        for (int i = 0; i < anchors.Length; i++)
        {
            int best = -1;
            double bestScore = double.NegativeInfinity;
            for (int j = 0; j < positives.Length; j++)
            {
                double s = Cosine(anchors[i], positives[j]);
                if (s > bestScore) (best, bestScore) = (j, s);
            }
            if (best == i) hits++;
        }
        return (double)hits / anchors.Length;
    }

    public static double Cosine(float[] a, float[] b) => global::Skald.Tests.TestVectors.Cosine(a, b);
}
