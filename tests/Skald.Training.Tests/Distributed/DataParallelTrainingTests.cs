using System.Diagnostics;
using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Training.Output;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 skald train</c> against one process with the same config: the global batch is split across the
/// ranks and the loss spans them, so losses and weights agree within rounding (MNRL, CachedMNRL, LoRA, masked-LM, MNTP,
/// causal-LM SFT with length-grouped batches, a cross-encoder's BCE, AdaptiveLayerLoss, SoftmaxLoss, ContrastiveTension,
/// a ColBERT's contrastive (also cached) and distillation losses over every rank's token vectors, CSRLoss (also cached)
/// with the autoencoder's dead-latent statistics of the whole batch); a killed rank
/// ends the job and the same command resumes.
/// </summary>
[RunsLong(100)] // 24 mpirun jobs, one after another
public sealed class DataParallelTrainingTests(ITestOutputHelper output)
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string Config(string name, string model, string data, string extra, string training = "") => InfraPaths.WriteFile(dir, name + ".yaml", $"""
        model:
          path: {model}
          dropout: 0
        {extra}
        data:
          train: {data}
        training:
          batch_size: 16
          learning_rate: 1.0e-3
          max_steps: 5
          logging_steps: 1
          seed: 7
        {training}
        output:
          dir: {Path.Combine(dir, name)}
          save_steps: 5
          tensorboard: false
        """);

    [MpiTheory]
    [InlineData("mnrl")]
    [InlineData("cached_mnrl")]
    [InlineData("lora")]
    [InlineData("mlm")]
    [InlineData("mntp")]
    [InlineData("sft")]
    [InlineData("bce")]
    [InlineData("ce_mnrl")]
    [InlineData("cross_entropy")]
    [InlineData("margin_mse")]
    [InlineData("adaptive_layer")]
    [InlineData("softmax")]
    [InlineData("contrastive_tension")]
    [InlineData("lambda")]
    [InlineData("contrastive_tension_pairs")]
    [InlineData("tsdae")]
    [InlineData("colbert_contrastive")]
    [InlineData("colbert_distillation")]
    [InlineData("colbert_cached")]
    [InlineData("csr")]
    [InlineData("csr_cached")]
    [InlineData("same_dataset")]
    public void TwoRanksTrainAsOneProcessWithTheWholeBatch(string kind)
    {
        string model = kind == "adaptive_layer" ? CorePaths.TrainingFixture("bert-4layers")
            : InfraPaths.FixtureModel(kind switch { "lora" => "decoder-qwen2", "mntp" or "sft" => "decoder-llama3", "colbert_contrastive" or "colbert_distillation" or "colbert_cached" => "colbert-bert-tiny", _ => "bert-cased-mean" });
        string data = kind == "sft"
            // Instruction rows of different lengths: length-grouped batches pad, and each rank's share of the
            // response tokens differs from step to step, so the loss must be divided by the global count.
            ? InfraPaths.WriteFile(dir, "sft.jsonl", string.Concat(Enumerable.Range(0, 56).Select(i =>
                $"{{\"instruction\": \"Skriv tallet {i}{string.Concat(Enumerable.Repeat(" igjen", i % 5))}.\", \"input\": \"{(i % 3 == 0 ? "" : "hus " + i)}\", " +
                $"\"output\": \"Tallet er {i}{string.Concat(Enumerable.Repeat(", og så " + (i * 3), i % 7))}.\"}}\n")))
            : kind == "bce"
            // A cross-encoder's labelled pairs: each rank scores its shard, the loss is the mean over the whole batch.
            ? InfraPaths.WriteFile(dir, "labelled.jsonl", string.Concat(Enumerable.Range(0, 56).Select(i =>
                $"{{\"query\": \"Hvor ligger hus nummer {i / 2} ved elva?\", \"document\": \"{(i % 2 == 0 ? $"Hus {i / 2} ligger ved sjøen." : $"Katten {i} sover.")}\", \"label\": {i % 2 ^ 1}}}\n")))
            : kind == "lambda"
            // Listwise rows of 2–4 documents: the ranks' shards hold different numbers of document pairs, and LambdaLoss
            // is the mean over the pairs of the whole batch.
            ? InfraPaths.WriteFile(dir, "lists.jsonl", string.Concat(Enumerable.Range(0, 56).Select(i =>
                $"{{\"query\": \"Hvor ligger hus nummer {i}?\", \"docs\": [{string.Join(", ", new[] { $"\"Hus {i} ligger ved sjøen.\"", $"\"Katten {i} sover.\"", $"\"Hus {i} er rødt.\"", "\"Det regner.\"" }[..(2 + i % 3)])}], " +
                $"\"labels\": [{string.Join(", ", new[] { 2, 0, 1, 0 }[..(2 + i % 3)])}]}}\n")))
            : kind is "contrastive_tension" or "contrastive_tension_pairs" or "tsdae"
            // Plain sentences: each rank embeds its shard with the model and its trained copy; the scores span the ranks.
            ? InfraPaths.WriteFile(dir, "sentences.txt", string.Concat(Enumerable.Range(0, 56).Select(i => $"Hus {i} ligger ved elva, {i * 7} meter fra sjøen.\n")))
            : kind is "cross_entropy" or "softmax"
            // A 3-label classifier of pairs: each rank scores its shard, the loss is the mean over the whole batch.
            ? InfraPaths.WriteFile(dir, "nli.jsonl", string.Concat(Enumerable.Range(0, 56).Select(i =>
                $"{{\"sentence1\": \"Hus {i / 3} ligger ved sjøen.\", \"sentence2\": \"{(i % 3) switch { 0 => "Huset er ved vannet.", 1 => $"Huset har {i} vinduer.", _ => "Huset ligger i fjellet." }}\", \"label\": {i % 3}}}\n")))
            : kind is "colbert_contrastive" or "colbert_cached" or "csr" or "csr_cached"
            // Triplets of texts of different lengths: the ranks gather each text's token vectors; every document of
            // the batch is an in-batch negative of every query, as in one process (PyLate's gather_across_devices).
            ? InfraPaths.WriteFile(dir, "triplets.jsonl", string.Concat(Enumerable.Range(0, 56).Select(i =>
                $"{{\"query\": \"Hvor ligger hus nummer {i}{string.Concat(Enumerable.Repeat(" ved elva", i % 3))}?\", \"positive\": \"Hus {i} ligger ved sjøen, {i * 7} meter unna.\", " +
                $"\"negative\": \"Buss {i} går klokka {i % 9}{string.Concat(Enumerable.Repeat(" hver dag", i % 4))}.\"}}\n")))
            : kind == "colbert_distillation"
            // A teacher's three scores a row: the ranks gather them (three labels a row) with the token vectors.
            ? InfraPaths.WriteFile(dir, "scored.jsonl", string.Concat(Enumerable.Range(0, 56).Select(i => FormattableString.Invariant(
                $"{{\"query\": \"Når går ferja {i}?\", \"d1\": \"Ferja {i} går hver time.\", \"d2\": \"Butikken {i} åpner klokka {i % 9}.\", \"d3\": \"Hei {i}{string.Concat(Enumerable.Repeat(" igjen", i % 3))}!\", \"scores\": [{3.0 - 0.01 * i:R}, {1.0 + 0.02 * i:R}, -1.0]}}\n"))))
            : kind == "margin_mse"
            // Two negatives with a margin each: the ranks gather two labels a row with the embeddings.
            ? InfraPaths.WriteFile(dir, "margins.jsonl", string.Concat(Enumerable.Range(0, 56).Select(i => FormattableString.Invariant(
                $"{{\"query\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative_1\": \"Bussen går klokka {i}.\", \"negative_2\": \"Kafeen stenger {i % 9}.\", \"label\": [{0.2 + 0.01 * i:R}, {0.6 - 0.005 * i:R}]}}\n"))))
            : kind == "same_dataset" ? SameDatasetFiles()
            : InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 56).Select(i =>
                $"{{\"anchor\": \"Hvor ligger hus nummer {i} ved elva?\", \"positive\": \"Hus {i} ligger ved sjøen, {i * 7} meter unna.\"}}\n")));
        string extra = kind switch
        {
            "cached_mnrl" => "loss:\n  type: cached_mnrl\n  mini_batch_size: 4",
            "lora" => "  attention: bidirectional\nlora:\n  r: 4\n  alpha: 8\n  dropout: 0",
            // Masked-LM and MNTP read column 0 (the anchors); every rank masks the whole batch as one process does.
            "mlm" => "loss:\n  type: mlm",
            "mntp" => "  attention: bidirectional\nloss:\n  type: mntp",
            "sft" => "loss:\n  type: causal_lm\n  max_seq_length: 320",
            "bce" => "loss:\n  type: bce",
            // A cross-encoder's in-batch negatives: every rank draws them over the whole batch as one process does
            // and scores its shard of the anchors.
            "ce_mnrl" => "loss:\n  type: ce_mnrl\n  num_negatives: 3",
            "cross_entropy" => "loss:\n  type: cross_entropy\n  num_labels: 3",
            // SoftmaxLoss's classifier: every rank computes it over the gathered batch; the summed gradients are one process's.
            "softmax" => "loss:\n  type: softmax\n  num_labels: 3",
            "contrastive_tension" => "loss:\n  type: contrastive_tension",
            "lambda" => "loss:\n  type: lambda",
            // Every rank makes the pairs of the whole batch as one process does and embeds its shard of them.
            "contrastive_tension_pairs" => "loss:\n  type: contrastive_tension_pairs\n  pos_neg_ratio: 3",
            // Every rank damages the whole batch with the same draws, decodes its shard and divides by the global token count.
            "tsdae" => "loss:\n  type: tsdae",
            "margin_mse" => "loss:\n  type: margin_mse",
            "colbert_contrastive" => "loss:\n  type: colbert_contrastive",
            "colbert_distillation" => "loss:\n  type: colbert_distillation",
            // GradCache over each rank's shard in chunks of 3 rows: the loss still spans every rank's token vectors.
            "colbert_cached" => "loss:\n  type: colbert_contrastive\n  cached: true\n  mini_batch_size: 3",
            // A CSR autoencoder whose latents die after two silent selections: the auxiliary term reads the dead-latent
            // statistics, which must count every rank's rows; the reconstruction means are over the whole batch.
            "csr" => Csr,
            "csr_cached" => Csr + "\n  cached: true\n  mini_batch_size: 3",
            // One of three earlier layers drawn per step (the same on both ranks), the KL rows split between them.
            "adaptive_layer" => "loss:\n  type: mnrl\n  adaptive_layer: true",
            _ => "",
        };
        string training = kind == "sft" ? "  group_by_length: true" : "";
        string one = Config("one", model, data, extra, training), two = Config("two", model, data, extra, training);

        var single = SkaldProcess.RunWith(dir, new Dictionary<string, string> { ["SKALD_THREADS"] = "1" }, "train", "--config", one);
        Assert.True(single.ExitCode == 0, single.Stderr);
        var clock = Stopwatch.StartNew();
        var mpi = MpiRun.Run(2, dir, "train", "--config", two);
        output.WriteLine($"2 ranks: {clock.ElapsedMilliseconds} ms\n{mpi.Stderr}");
        Assert.True(mpi.ExitCode == 0, mpi.Stderr);
        Assert.Contains("world_size 2", mpi.Stderr.Split('\n').First(l => l.StartsWith("training ", StringComparison.Ordinal)));
        Assert.Single(mpi.Stderr.Split('\n'), l => l.StartsWith("saved the model", StringComparison.Ordinal)); // rank 0 alone writes

        var lossesOne = Losses("one");
        var lossesTwo = Losses("two");
        Assert.Equal(5, lossesOne.Length);
        Assert.Equal(lossesOne.Length, lossesTwo.Length);
        for (int i = 0; i < lossesOne.Length; i++)
            Assert.True(Math.Abs(lossesOne[i] - lossesTwo[i]) <= 1e-6 * Math.Abs(lossesOne[i]), $"step {i + 1}: loss {lossesOne[i]} vs {lossesTwo[i]}");

        string file = kind == "lora" ? "adapter_model.safetensors" : "model.safetensors";
        using var a = SafeTensorsFile.Open(Path.Combine(dir, "one", "final", file));
        using var b = SafeTensorsFile.Open(Path.Combine(dir, "two", "final", file));
        Assert.Equal(a.Tensors.Keys.Order(), b.Tensors.Keys.Order());
        // BERT's attention key bias adds q·b to every score of a query, which the softmax ignores: its exact gradient is
        // zero (Σ_j dS_ij = 0 for each query i) and the computed one is rounding noise, which AdamW normalises to a step
        // of up to ±lr whatever its size; one and two ranks sum different noise. Not a bug (PyTorch does the same) and
        // harmless: no value of the key bias changes an output. Both runs move it by at most lr per step (checked
        // below); every other weight must agree within 1e-5.
        // LambdaLoss's pair terms read differences of logits, so the classifier's bias has no true gradient either.
        bool NoiseOnly(string name) => name.EndsWith("attention.self.key.bias", StringComparison.Ordinal) || (kind == "lambda" && name == "classifier.bias");
        double worst = 0, moved = 0, noise = 0;
        // The initial weights (possibly sharded); a masked-LM folder's keys carry the "bert." prefix of BertForMaskedLM.
        List<SafeTensorsFile> initial = kind == "lora" ? [] : [.. Directory.GetFiles(model, "model*.safetensors").Select(f => SafeTensorsFile.Open(f))];
        float[]? Initial(string name) => initial.FirstOrDefault(f => f.Tensors.ContainsKey(name)) is { } f ? f.ReadFloat32(name)
            : name.StartsWith("bert.", StringComparison.Ordinal) ? Initial(name[5..]) : null;
        foreach (var name in a.Tensors.Keys)
        {
            float[] x = a.ReadFloat32(name), y = b.ReadFloat32(name);
            for (int i = 0; i < x.Length; i++)
            {
                if (NoiseOnly(name)) noise = Math.Max(noise, Math.Abs(x[i] - y[i]));
                else worst = Math.Max(worst, Math.Abs(x[i] - y[i]));
            }
            if (Initial(name) is { } z)
            {
                for (int i = 0; i < x.Length; i++) moved = Math.Max(moved, Math.Abs(x[i] - z[i]));
            }
        }
        output.WriteLine($"largest weight difference {worst:E2} (key biases: {noise:E2}); largest change from the initial weights {moved:E2}");
        Assert.True(worst <= 1e-5, $"weights differ by {worst}");
        Assert.True(noise <= 2 * 5 * 1e-3, $"key biases differ by {noise}, more than two runs of 5 noise-driven AdamW steps");
        if (kind != "lora") Assert.True(moved > 1e-3, "the run did not train");
        initial.ForEach(f => f.Dispose());
        if (kind.StartsWith("csr", StringComparison.Ordinal)) SameAutoEncoder(Path.Combine(dir, "one", "final"), Path.Combine(dir, "two", "final"));

        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "two", "checkpoints", "step-5", "trainer_state.json")));
        Assert.Equal(2, state.RootElement.GetProperty("world_size").GetInt32());
        Assert.Contains("- `world_size`: 2", File.ReadAllText(Path.Combine(dir, "two", "final", "README.md")));
    }

    /// <summary>
    /// Two FlagEmbedding files batched one file at a time (data.same_dataset_within_batch): only_1neg rows (a group of
    /// 2) in batches of training.batch_size, and a no_in_batch_neg file of 3 negatives a row in batches of its own
    /// batch_size 7 (split 4 + 3): each rank trains on its part of every batch, the loss spanning the ranks. The
    /// negatives are near the positives, so the loss stays far from 0 (where its rounding would be a large part of it).
    /// </summary>
    private string SameDatasetFiles()
    {
        string Row(int i, string extra, int negatives) => $"{{\"query\": \"Hvor ligger hus nummer {i}{string.Concat(Enumerable.Repeat(" ved elva", i % 3))}?\", " +
            $"\"pos\": [\"Hus {i} ligger ved sjøen.\", \"Huset {i} står ved vannet.\"], \"neg\": [{string.Join(", ", Enumerable.Range(0, negatives).Select(n => $"\"Hus {i + n + 1} ligger ved sjøen.\""))}]{extra}}}\n";
        string a = InfraPaths.WriteFile(dir, "one_neg.jsonl", string.Concat(Enumerable.Range(0, 32).Select(i => Row(i, ", \"type\": \"only_1neg\"", 2))));
        string b = InfraPaths.WriteFile(dir, "own_no_in_batch_neg.jsonl", string.Concat(Enumerable.Range(0, 24).Select(i => Row(100 + i, ", \"batch_size\": 7", 3))));
        return $"[{a}, {b}]\n  train_group_size: 4\n  same_dataset_within_batch: true";
    }

    [MpiFact]
    public void AnEpochWhoseLastBatchCannotGiveEachRankARowTrainsOnWithoutIt()
    {
        // 17 pairs in global batches of 8: each epoch ends with a batch of one row, which two ranks cannot split. It is
        // left out (as drop_last would), so 5 steps run over three epochs of two batches each instead of stopping there.
        string data = InfraPaths.WriteFile(dir, "odd.jsonl", string.Concat(Enumerable.Range(0, 17).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\"}}\n")));
        string config = Config("odd", InfraPaths.FixtureModel("bert-cased-mean"), data, "", "");
        File.WriteAllText(config, File.ReadAllText(config).Replace("batch_size: 16", "batch_size: 8"));
        var mpi = MpiRun.Run(2, dir, "train", "--config", config, "--quiet");
        Assert.True(mpi.ExitCode == 0, mpi.Stderr);
        Assert.Equal(5, Losses("odd").Length);
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "odd", "checkpoints", "step-5", "trainer_state.json")));
        Assert.Equal(2, state.RootElement.GetProperty("data_epoch").GetInt32()); // steps 1–2, 3–4, 5: two batches an epoch
    }

    [MpiFact]
    public void AKilledRankEndsTheJobAndTheSameCommandResumes()
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 48).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\"}}\n")));
        string Make(string name) => InfraPaths.WriteFile(dir, name + ".yaml", $"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
              dropout: 0.1
            data:
              train: {data}
            training:
              batch_size: 8
              learning_rate: 5.0e-4
              max_steps: 40
              logging_steps: 5
            output:
              dir: {Path.Combine(dir, name)}
              save_steps: 5
              tensorboard: false
            """);
        string fullConfig = Make("full"), killedConfig = Make("killed");
        var full = MpiRun.Run(2, dir, "train", "--config", fullConfig, "--quiet");
        Assert.True(full.ExitCode == 0, full.Stderr);

        var clock = Stopwatch.StartNew();
        using (var p = Process.Start(MpiRun.StartInfo(2, dir, null, "train", "--config", killedConfig, "--quiet"))!)
        {
            p.StandardInput.Close();
            var stderr = p.StandardError.ReadToEndAsync();
            string marker = Path.Combine(dir, "killed", "checkpoints", "step-10", "trainer_state.json");
            while (!File.Exists(marker) && !p.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(10);
            Assert.False(p.HasExited, "the run ended before a rank could be killed");
            int[] pids = [.. MpiRun.RankPids(1, killedConfig)];
            Assert.Single(pids);
            Process.GetProcessById(pids[0]).Kill(); // SIGKILL, as the OOM killer or a lost machine would
            var killedAt = clock.Elapsed;
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "the job hung after a rank was killed");
            output.WriteLine($"job ended {(clock.Elapsed - killedAt).TotalMilliseconds:F0} ms after the kill, exit code {p.ExitCode}\n{stderr.Result}");
            Assert.NotEqual(0, p.ExitCode);
            Assert.Contains("signal 9", stderr.Result);
        }
        Assert.False(Directory.Exists(Path.Combine(dir, "killed", "final")));

        var resumed = MpiRun.Run(2, dir, "train", "--config", killedConfig);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("resuming from", resumed.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "full", "final", "model.safetensors")),
            File.ReadAllBytes(Path.Combine(dir, "killed", "final", "model.safetensors")));
        Assert.Equal(File.ReadAllLines(Path.Combine(dir, "full", "metrics.jsonl")), File.ReadAllLines(Path.Combine(dir, "killed", "metrics.jsonl")));
    }

    private const string Csr = "  type: csr\n  csr_hidden_dim: 64\n  csr_k: 4\n  csr_k_aux: 8\n  csr_dead_threshold: 2\nloss:\n  type: csr";

    // A CSR model's autoencoder: the weights within 1e-5 and the dead-latent statistics equal (they decide the auxiliary term).
    private void SameAutoEncoder(string one, string two)
    {
        string module = Path.GetFileName(Directory.GetDirectories(one, "*_SparseAutoEncoder").Single());
        var a = Skald.Models.Modules.SparseAutoEncoder.Load(Path.Combine(one, module));
        var b = Skald.Models.Modules.SparseAutoEncoder.Load(Path.Combine(two, module));
        Assert.Equal(a.Stats, b.Stats);
        Assert.Contains(a.Stats, s => s > 2); // some latents died: the auxiliary term had latents to read
        double worst = 0;
        foreach (var (x, y) in new[] { (a.PreBias, b.PreBias), (a.Weight, b.Weight), (a.LatentBias, b.LatentBias) })
        {
            var u = x.Data.Span;
            var v = y.Data.Span;
            for (int i = 0; i < u.Length; i++) worst = Math.Max(worst, Math.Abs(u[i] - v[i]));
        }
        output.WriteLine($"autoencoder: largest weight difference {worst:E2}");
        Assert.True(worst <= 1e-5, $"autoencoder weights differ by {worst}");
    }

    private double[] Losses(string run) =>
        [.. MetricsLog.ReadAll(Path.Combine(dir, run, "metrics.jsonl")).Select(r => r["loss"]!.Value)];
}
