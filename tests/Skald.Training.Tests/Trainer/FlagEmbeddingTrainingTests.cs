using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Losses;
using Skald.Training.Optim;
using Skald.Training.Tests.Losses;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// <c>skald train</c> on FlagEmbedding's rows ({query, pos, neg}) in process: each epoch trains on a new draw of the
/// groups and a killed run resumes to the same draws and weights; a short bge_m3 run with a teacher's scores hands
/// the loss the scores of the drawn documents, and a no_in_batch_neg file's batches say so; mnrl trains on the same
/// rows with the scores dropped; what does not fit is one line.
/// </summary>
public sealed class FlagEmbeddingTrainingTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string Flag(string name, int groups, bool scores) => InfraPaths.WriteFile(dir, name, string.Concat(Enumerable.Range(0, groups).Select(i =>
        $"{{\"query\": \"Hvor ligger hus {i}?\", \"pos\": [\"Huset {i} ligger ved fjorden.\", \"Hus {i} står ved sjøen.\"], " +
        $"\"neg\": [\"Det regner {i} dager i Bergen.\", \"Bussen går klokka {i}.\", \"Kaffe {i} og kanelbolle.\"]" +
        (scores ? $", \"pos_scores\": [{i}.5, {i}.25], \"neg_scores\": [0.1, 0.2, 0.3]" : "") + "}\n")));

    /// <summary>A loss that hands every batch to <paramref name="inner"/> after noting it.</summary>
    private sealed class Recording(ILoss inner) : ILoss
    {
        public List<TrainingBatch> Batches { get; } = [];

        public string Name => inner.Name;

        public IReadOnlyList<Skald.Tensors.Autograd.Parameter> Parameters => inner.Parameters;

        public IReadOnlyList<Skald.Tensors.Autograd.Parameter> SavedParameters => inner.SavedParameters;

        public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
        {
            Batches.Add(batch);
            return inner.ComputeAndBackward(model, batch, gradientScale);
        }
    }

    private SentenceTrainer Bow(string outDir, TextDataset data, out BowModel model, out BowRankingLoss loss)
    {
        var config = ConfigLoader.Parse($"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
              dropout: 0.2
            data:
              train: flag.jsonl
            training:
              batch_size: 4
              learning_rate: 0.5
              max_steps: 12
              logging_steps: 2
            output:
              dir: {outDir}
              save_steps: 5
            """, "test.yaml");
        model = new BowModel();
        loss = new BowRankingLoss();
        return new SentenceTrainer(new TrainerSetup
        {
            Model = model, Loss = loss, Optimizer = new MomentumSgd(model.Parameters), Clip = MomentumSgd.Clip, Train = [data], Evaluators = [], Config = config,
        });
    }

    [Fact]
    public void EachEpochDrawsAnewAndAKilledRunResumesToTheSameDrawsAndWeights()
    {
        var data = DatasetReader.Read(Flag("flag.jsonl", 8, false), groupSize: 3); // 2 batches an epoch
        string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
        Bow(a, data, out var fullModel, out var fullLoss).Run();
        Assert.Equal(12, fullLoss.Batches.Count);
        // the positives drawn differ from epoch to epoch (each group has two)
        var byEpoch = Enumerable.Range(0, 6).Select(e => fullLoss.Batches.Skip(2 * e).Take(2).SelectMany(x => x.Columns[1]).Order().ToArray()).ToArray();
        Assert.True(byEpoch.Distinct(new SequenceComparer()).Count() > 1, "every epoch trained on the same draw");

        var killed = Bow(b, data, out _, out var killedLoss);
        killedLoss.Hook = call => call == 7 ? throw new OperationCanceledException("simulated kill") : null; // in step 8
        Assert.Throws<OperationCanceledException>(() => killed.Run());
        var resumed = Bow(b, data, out var resumedModel, out var resumedLoss).Run();
        Assert.EndsWith("step-5", resumed.ResumedFrom);
        Assert.Equal(fullLoss.Batches.Skip(5).Select(Texts), resumedLoss.Batches.Select(Texts)); // epoch 2's second batch on
        Assert.Equal(fullModel.Parameters[0].Data, resumedModel.Parameters[0].Data); // bit-for-bit
    }

    private static string Texts(TrainingBatch batch) => string.Join("|", batch.Columns.SelectMany(c => c));

    private sealed class SequenceComparer : IEqualityComparer<string[]>
    {
        public bool Equals(string[]? x, string[]? y) => x!.SequenceEqual(y!);

        public int GetHashCode(string[] obj) => obj.Length;
    }

    private TrainingConfig Config(string model, string data, string loss, string extra = "") => ConfigLoader.Parse($"""
        model:
          path: {model}
        data:
          train: {data}
          train_group_size: 3
        {extra}
        training:
          batch_size: 2
          max_steps: 2
          learning_rate: 1.0e-3
          logging_steps: 1
        loss:
        {loss}
        output:
          dir: {Path.Combine(dir, "run")}
          save_steps: 0
          tensorboard: false
        """, "t.yaml");

    [Fact]
    public void BgeM3TrainsOnTheDrawsWithTheTeachersScoresOfTheDrawnDocuments()
    {
        string data = Flag("kd_no_in_batch_neg.jsonl", 4, true);
        using var setup = TrainingRun.Build(Config(BgeM3LossTests.Folder(), data, "  type: bge_m3"));
        Assert.IsType<BgeM3Loss>(setup.Loss);
        Assert.True(setup.Train[0].NoInBatchNegatives); // FlagEmbedding's mark: the name ends with no_in_batch_neg
        var recording = new Recording(setup.Loss);
        var result = new SentenceTrainer(setup with { Loss = recording }).Run();
        Assert.Equal(2, result.Steps);
        Assert.Equal(2, recording.Batches.Count);
        foreach (var batch in recording.Batches)
        {
            Assert.True(batch.NoInBatchNegatives);
            Assert.Equal(4, batch.Columns.Count); // query, pos, neg[0], neg[1]: train_group_size 3
            for (int r = 0; r < batch.Count; r++)
            {
                int i = batch.Columns[0][r][16] - '0'; // "Hvor ligger hus i?"
                float pos = batch.Columns[1][r].StartsWith("Huset", StringComparison.Ordinal) ? i + 0.5f : i + 0.25f;
                float Neg(string text) => text.StartsWith("Det", StringComparison.Ordinal) ? 0.1f : text.StartsWith("Bussen", StringComparison.Ordinal) ? 0.2f : 0.3f;
                Assert.Equal([pos, Neg(batch.Columns[2][r]), Neg(batch.Columns[3][r])], batch.Labels!.Skip(3 * r).Take(3));
            }
        }
    }

    [Fact]
    public void MnrlTrainsOnTheSameRowsWithoutTheScores()
    {
        using var setup = TrainingRun.Build(Config(InfraPaths.FixtureModel("bert-cased-mean"), Flag("kd.jsonl", 4, true), "  type: mnrl"));
        Assert.Null(setup.Train[0].Labels); // FlagEmbedding drops the scores when it does not distil
        Assert.Equal(["query", "pos", "neg[0]", "neg[1]"], setup.Train[0].Columns);
        Assert.Equal(2, new SentenceTrainer(setup).Run().Steps);
    }

    [Fact]
    public void RowPromptsWithoutTheQueryInstructionAreNamedInOneLogLine()
    {
        string data = InfraPaths.WriteFile(dir, "p.jsonl", string.Concat(Enumerable.Range(0, 4).Select(i =>
            $"{{\"query\": \"q {i}\", \"pos\": [\"p {i}\"], \"neg\": [\"n {i}\", \"m {i}\"]{(i < 3 ? ", \"prompt\": \"Svar: \"" : "")}}}\n")));
        var lines = new List<string>();
        using (TrainingRun.Build(Config(InfraPaths.FixtureModel("bert-cased-mean"), data, "  type: mnrl"), log: lines.Add))
            Assert.Single(lines, l => l.Contains("3 of 4 rows carry a 'prompt'", StringComparison.Ordinal) && l.Contains("query_instruction_for_retrieval", StringComparison.Ordinal));
        lines.Clear();
        using (TrainingRun.Build(Config(InfraPaths.FixtureModel("bert-cased-mean"), data, "  type: mnrl", "  query_instruction_for_retrieval: \"\""), log: lines.Add))
            Assert.DoesNotContain(lines, l => l.Contains("'prompt'", StringComparison.Ordinal));
    }

    [Fact]
    public void MnrlTrainsANoInBatchNegFileAndItsBatchesSaySo()
    {
        using var setup = TrainingRun.Build(Config(InfraPaths.FixtureModel("bert-cased-mean"), Flag("f.jsonl", 4, false), "  type: mnrl", "  no_in_batch_neg: true"));
        Assert.True(setup.Train[0].NoInBatchNegatives);
        Assert.Equal(2, new SentenceTrainer(setup).Run().Steps);
    }

    [Fact]
    public void WhatDoesNotFitIsOneLine()
    {
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(InfraPaths.FixtureModel("bert-cased-mean"), Flag("f.jsonl", 4, false), "  type: matryoshka\n  matryoshka_dims: [16, 8]", "  no_in_batch_neg: true")));
        Assert.Contains("no in-batch negatives (data.no_in_batch_neg) is read by loss.type bge_m3, mnrl and cached_mnrl only (not symmetric, not under loss.adaptive_layer), not matryoshka", e.Message);
        e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(InfraPaths.FixtureModel("bert-cased-mean"), Flag("f.jsonl", 4, false), "  type: mnrl\n  symmetric: true", "  no_in_batch_neg: true")));
        Assert.EndsWith("not mnrl symmetric", e.Message);
        string table = InfraPaths.WriteFile(dir, "t.jsonl", "{\"anchor\": \"a b\", \"positive\": \"c d\"}\n{\"anchor\": \"e f\", \"positive\": \"g h\"}\n");
        e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(InfraPaths.FixtureModel("bert-cased-mean"), table, "  type: mnrl")));
        Assert.StartsWith("data.train_group_size 3 sets the documents drawn per query from FlagEmbedding files", e.Message);
    }
}
