using System.Text.Json;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Optim;
using Skald.Training.Tests.Losses;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Data;

/// <summary>
/// FlagEmbedding's same-dataset batching (<c>data.same_dataset_within_batch</c>, <see cref="SameDatasetBatches"/>) over
/// five small files (plain, only_1neg, symmetric_class, symmetric_sts with prompts, per-row train_group_size with a
/// batch_size): two epochs' batches (file, group size, rows, every text) equal those of
/// fixtures/training/make_same_dataset_batches.py, a Python re-statement of upstream's AbsEmbedderSameDatasetTrainDataset
/// drawing from the same generator; the trainer hands the loss those batches; without the option the keys upstream then
/// reads are one line, and so is each file or setting the batching cannot take.
/// </summary>
public sealed class SameDatasetBatchesTests
{
    private static readonly string Folder = Path.Combine(InfraPaths.RepoRoot, "fixtures", "training", "same-dataset");

    private static readonly string[] Files = ["retrieval.jsonl", "only1neg.jsonl", "symclass.jsonl", "sts.jsonl", "sized.jsonl"];

    private readonly string dir = InfraPaths.NewTempDir();

    private static JsonElement Expected() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json"))).RootElement;

    // The five files as the run reads them: the settings' group size and instructions.
    private static List<TextDataset> Read(JsonElement settings)
    {
        var ins = new FlagEmbeddingInstructions(Query: settings.GetProperty("query_instruction_for_retrieval").GetString(),
            Passage: settings.GetProperty("passage_instruction_for_retrieval").GetString());
        int group = settings.GetProperty("train_group_size").GetInt32();
        return [.. Files.Select(f => DatasetReader.Read(Path.Combine(Folder, f), null, group)).Select(d => d.Groups!.With(ins).Sample(0, 0, d.Name))];
    }

    // batch b of the expected epoch against the batch the plan gives (its rows' lines, when known)
    private static void AssertBatch(JsonElement expected, string file, int width, IReadOnlyList<int>? lines, TrainingBatch batch)
    {
        Assert.Equal(expected.GetProperty("file").GetString(), file);
        Assert.Equal(expected.GetProperty("group_size").GetInt32() + 1, width);
        Assert.Equal(width, batch.Columns.Count);
        var rows = expected.GetProperty("rows");
        Assert.Equal(rows.GetArrayLength(), batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            if (lines is not null) Assert.Equal(rows[i].GetProperty("line").GetInt32(), lines[i]);
            var texts = rows[i].GetProperty("texts");
            for (int c = 0; c < width; c++) Assert.Equal(texts[c].GetString(), batch.Columns[c][i]);
        }
    }

    [Fact]
    public void TwoEpochsBatchesEqualThePythonRestatementOfUpstreamsSampling()
    {
        var expected = Expected();
        var settings = expected.GetProperty("settings");
        var datasets = Read(settings);
        var epochs = expected.GetProperty("epochs");
        for (int epoch = 0; epoch < epochs.GetArrayLength(); epoch++)
        {
            var plan = SameDatasetBatches.PlanEpoch(datasets, settings.GetProperty("batch_size").GetInt32(), settings.GetProperty("seed").GetUInt64(), epoch, out var data);
            Assert.Equal(epochs[epoch].GetArrayLength(), plan.Count);
            for (int b = 0; b < plan.Count; b++)
            {
                var pb = plan[b];
                AssertBatch(epochs[epoch][b], Path.GetFileName(datasets[pb.Dataset].Name), pb.Width, [.. pb.Rows.Select(r => datasets[pb.Dataset].Lines![r])],
                    data[pb.Dataset].Batch(pb.Rows, pb.Width));
            }
        }
    }

    [Fact]
    public void TheTrainerHandsTheLossThoseBatches()
    {
        var expected = Expected();
        var settings = expected.GetProperty("settings");
        var first = expected.GetProperty("epochs")[0];
        var config = ConfigLoader.Parse($"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
            data:
              train: [{string.Join(", ", Files)}]
              same_dataset_within_batch: true
            training:
              batch_size: {settings.GetProperty("batch_size").GetInt32()}
              seed: {settings.GetProperty("seed").GetUInt64()}
              max_steps: {first.GetArrayLength()}
            output:
              dir: {Path.Combine(dir, "out")}
            """, "test.yaml");
        Assert.False(config.Training.NoDuplicates); // upstream's batches avoid none
        var model = new BowModel();
        var loss = new BowRankingLoss();
        new SentenceTrainer(new TrainerSetup
        {
            Model = model, Loss = loss, Optimizer = new MomentumSgd(model.Parameters), Clip = MomentumSgd.Clip, Train = Read(settings), Evaluators = [], Config = config,
        }).Run();
        Assert.Equal(first.GetArrayLength(), loss.Batches.Count);
        for (int b = 0; b < loss.Batches.Count; b++)
        {
            var batch = loss.Batches[b]; // (the loss sees no file or lines: the texts say which rows)
            AssertBatch(first[b], first[b].GetProperty("file").GetString()!, batch.Columns.Count, null, batch);
        }
    }

    [Fact]
    public void ABatchReadsItsOwnGroupsColumnsAndTeacherScores()
    {
        // train_group_size 3 or 2 by a batch's first row: rows drawn as wide as 3, a batch of 2 reads fewer columns and labels
        string path = InfraPaths.WriteFile(dir, "scored.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"query\": \"q{i}\", \"pos\": [\"p{i}\"], \"neg\": [\"n{i}_0\", \"n{i}_1\", \"n{i}_2\"], \"pos_scores\": [{i}.5], " +
            $"\"neg_scores\": [{i}.0, {i}.25, {i}.75], \"train_group_size\": {3 - i % 2}{(i == 0 ? ", \"batch_size\": 2" : "")}}}\n")));
        var d = DatasetReader.Read(path, null, 4);
        static float Score(string text) => text[0] == 'p' ? text[1] - '0' + 0.5f : text[1] - '0' + new[] { 0f, 0.25f, 0.75f }[text[3] - '0'];
        bool narrower = false;
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var plan = SameDatasetBatches.PlanEpoch([d], 4, 11, epoch, out var data);
            Assert.Equal(4, plan.Count); // 8 rows in batches of the first row's batch_size, 2
            foreach (var pb in plan)
            {
                var batch = data[0].Batch(pb.Rows, pb.Width);
                int g = d.Groups!.RowKeys!.GroupSizes[pb.Rows[0]]!.Value; // the batch's first row's
                Assert.Equal(g + 1, batch.Columns.Count);
                narrower |= g + 1 < data[0].Columns.Count;
                Assert.Equal(batch.Count * g, batch.Labels!.Count);
                for (int i = 0; i < batch.Count; i++)
                    for (int c = 1; c <= g; c++) Assert.Equal(Score(batch.Columns[c][i]), batch.Labels[i * g + c - 1]);
            }
        }
        Assert.True(narrower, "no batch narrower than the widest draw");
    }

    private static TrainingConfig Config(string train, string data = "", string training = "", int batchSize = 2) => ConfigLoader.Parse($"""
        model:
          path: m
        data:
          train: {train}
          train_group_size: 3
        {data}
        training:
          batch_size: {batchSize}
        {training}
        output:
          dir: out
        """, "test.yaml");

    private string Flag(string name, params string[] extra) => InfraPaths.WriteFile(dir, name, string.Concat(extra.Select((e, i) =>
        $"{{\"query\": \"q {i}\", \"pos\": [\"p {i}\"], \"neg\": [\"n {i}\", \"m {i}\"]{e}}}\n")));

    [Theory]
    [InlineData(", \"type\": \"only_1neg\"", "type")]
    [InlineData(", \"type\": \"symmetric_sts\"", "type")]
    [InlineData(", \"train_group_size\": 2", "train_group_size")]
    [InlineData(", \"batch_size\": 2", "batch_size")]
    public void WithoutTheOptionTheKeysUpstreamThenReadsAreOneLine(string keys, string key)
    {
        string path = Flag("f.jsonl", "", keys, "");
        var config = Config(path);
        var d = TrainingRun.ReadData(config).Train[0];
        var e = Assert.Throws<TrainingException>(() => SameDatasetBatches.Check(config, d, true, 1));
        Assert.StartsWith($"{path}:2: key '{key}': ", e.Message);
        Assert.Contains("set data.same_dataset_within_batch: true", e.Message);
        var typed = Config(Flag("typed.jsonl", ", \"type\": \"normal\"", ", \"type\": \"normal\"")); // another type: upstream ignores it then
        SameDatasetBatches.Check(typed, TrainingRun.ReadData(typed).Train[0], true, 1);
    }

    [Fact]
    public void WhatTheBatchingCannotTakeIsOneLine()
    {
        const string on = "  same_dataset_within_batch: true";
        void Refused(string path, string fragment, string training = "", bool lossReadsGroups = true, int ranks = 1, int batchSize = 2)
        {
            var config = Config(path, on, training, batchSize);
            var e = Assert.Throws<TrainingException>(() => SameDatasetBatches.Check(config, TrainingRun.ReadData(config).Train[0], lossReadsGroups, ranks));
            Assert.Contains(fragment, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        string plain = Flag("plain.jsonl", "", "", "");
        Refused(Flag("mixed.jsonl", ", \"type\": \"only_1neg\"", ", \"type\": \"symmetric_class\""), "mixed.jsonl:2: key 'type': type 'symmetric_class' here, type 'only_1neg' on line 1; a file's rows share one type");
        Refused(Flag("late.jsonl", "", ", \"batch_size\": 2"), "late.jsonl:2: key 'batch_size': set here but not on line 1");
        Refused(Flag("big.jsonl", ", \"batch_size\": 5", ""), "big.jsonl: its batches hold 5 rows (its batch_size), more than its 2");
        Refused(Flag("sym.jsonl", ", \"type\": \"symmetric_sts\"", ", \"type\": \"symmetric_sts\""), "its batches hold 0 rows (half of training.batch_size 1, for its symmetric type)", batchSize: 1);
        Refused(InfraPaths.WriteFile(dir, "empty.jsonl", "{\"query\": \"q\", \"pos\": [\"p\"], \"neg\": [\"n\"], \"type\": \"only_1neg\"}\n{\"query\": \"r\", \"pos\": [\"p\"], \"neg\": [], \"type\": \"only_1neg\"}\n"),
            "empty.jsonl:2: key 'neg' is empty; a batch of this file may draw 1 negatives per query");
        var pairs = DatasetReader.Read(InfraPaths.WriteFile(dir, "pairs.jsonl", "{\"anchor\": \"a\", \"positive\": \"b\"}\n{\"anchor\": \"c\", \"positive\": \"d\"}\n"));
        Assert.Contains("batches FlagEmbedding files", Assert.Throws<TrainingException>(() => SameDatasetBatches.Check(Config(plain, on), pairs, true, 1)).Message);
        Refused(plain, "which loss.type bge_m3, mnrl and cached_mnrl read", lossReadsGroups: false);
        Refused(plain, "plain.jsonl: its batches hold 2 rows, fewer than the 3 ranks", ranks: 3);
        SameDatasetBatches.Check(Config(plain, on, "", 2), TrainingRun.ReadData(Config(plain, on, "", 2)).Train[0], true, 2); // a row for each rank: runs under mpirun
        Refused(plain, "training.shuffle: false does not go with it", "  shuffle: false");
        var e = Assert.Throws<TrainingException>(() => Config(plain, on, "  no_duplicates: true"));
        Assert.Contains("data.same_dataset_within_batch batches as FlagEmbedding does, without avoiding duplicates", e.Message);
    }
}
