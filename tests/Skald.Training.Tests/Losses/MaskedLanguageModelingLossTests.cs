using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>Masked-LM as a loss of the one trainer: its gradient, that it learns, the saved BertForMaskedLM layout, resume.</summary>
public sealed class MaskedLanguageModelingLossTests
{
    private static readonly string[] Texts =
    [
        "Toget til Bergen går klokka ni.", "Kor mykje kostar ein billett?", "Butikken åbner klokken otte.",
        "Var ligger närmaste apotek?", "Legekontoret er stengt i dag.",
    ];

    private static string NewBert(int hidden = 32, int layers = 1)
    {
        string tokenizer = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "tokenizers", "wordpiece-cased", "tokenizer.json");
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        return RandomBert.Create(dir, tokenizer, new BertShape(hidden, layers, 4, 2 * hidden, 64), seed: 11);
    }

    private static string Corpus(int lines)
    {
        string path = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"), "corpus.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, File.ReadLines(Path.Combine(Skald.Tests.Repository.Root, "samples", "data", "corpus.txt")).Take(lines));
        return path;
    }

    /// <summary>The YAML `skald train` reads, for masked-LM on <paramref name="model"/>.</summary>
    private static TrainingConfig Config(string model, string corpus, string outDir, int steps, float dropout = 0.1f) => ConfigLoader.Parse($"""
        model:
          path: {model}
          dropout: {dropout}
        data:
          train: {corpus}
        training:
          batch_size: 16
          learning_rate: 2.0e-3
          max_steps: {steps}
          warmup_ratio: 0.1
          no_duplicates: false
          logging_steps: 1
        loss:
          type: mlm
          mask_probability: 0.15
        output:
          dir: {outDir}
          save_steps: 4
          tensorboard: false
        """, "mlm.yaml");

    /// <summary>Analytic gradients of the masked-LM loss against central differences (same masks both sides).</summary>
    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var encoder = TrainableEncoder.Load(NewBert(), dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(encoder, maskProbability: 0.3f, seed: 5);
        var state = encoder.Random.SaveState();
        float Loss(bool backward)
        {
            encoder.Random.RestoreState(state); // the same masks every time
            return mlm.Loss(encoder, Texts, backward);
        }

        encoder.ZeroGradients();
        foreach (var p in mlm.Parameters) p.Grad.Span.Clear();
        Loss(backward: true);
        var byName = encoder.Parameters.Concat(mlm.Parameters).ToDictionary(p => p.Name);
        var checks = new (string Name, int Index)[]
        {
            ("cls.predictions.transform.dense.weight", 7), ("cls.predictions.bias", byName["cls.predictions.bias"].Length / 3),
            ("embeddings.word_embeddings.weight", 40 * 32 + 3), ("encoder.layer.0.intermediate.dense.weight", 17),
            ("cls.predictions.transform.LayerNorm.weight", 2),
        };
        int substantial = 0;
        foreach (var (name, index) in checks)
        {
            var p = byName[name];
            float saved = p.Data.Span[index], h = 1e-2f;
            p.Data.Span[index] = saved + h;
            double up = Loss(false);
            p.Data.Span[index] = saved - h;
            double down = Loss(false);
            p.Data.Span[index] = saved;
            double numeric = (up - down) / (2 * h), analytic = p.Grad.Span[index];
            if (Math.Abs(numeric) > 1e-3) substantial++;
            Assert.True(Math.Abs(numeric - analytic) <= 0.05 * Math.Abs(numeric) + 2e-4,
                $"{name}[{index}]: analytic {analytic:E3}, numeric {numeric:E3}");
        }
        Assert.True(substantial >= 3, "the checked gradients are too small to tell anything");
    }

    [Fact]
    public void TrainingLowersTheLossAndSavesBertForMaskedLM()
    {
        string outDir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        var config = Config(NewBert(hidden: 64, layers: 2), Corpus(600), outDir, steps: 60);
        var result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        Assert.Equal(60, result.Steps);
        var losses = MetricsLog.ReadAll(Path.Combine(outDir, "metrics.jsonl")).Select(r => r["loss"]!.Value).ToArray();
        double first = losses.Take(6).Average(), last = losses.TakeLast(6).Average();
        Assert.True(last < first - 1.0, $"loss {first:F2} → {last:F2}");

        // transformers' BertForMaskedLM state dict: the encoder under "bert." (no pooler), the head under "cls.predictions.";
        // the decoder weight is tied to the word embeddings and left out, as save_pretrained does.
        using var st = SafeTensorsFile.Open(Path.Combine(result.ModelPath, "model.safetensors"));
        var keys = st.Tensors.Keys.ToHashSet();
        foreach (var k in new[]
        {
            "bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight", "bert.embeddings.LayerNorm.weight",
            "bert.encoder.layer.1.attention.self.query.weight", "bert.encoder.layer.1.output.LayerNorm.bias",
            "cls.predictions.bias", "cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
            "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias",
        })
            Assert.Contains(k, keys);
        Assert.DoesNotContain(keys, k => !k.StartsWith("bert.", StringComparison.Ordinal) && !k.StartsWith("cls.predictions.", StringComparison.Ordinal));
        Assert.DoesNotContain("cls.predictions.decoder.weight", keys);
        Assert.Equal([64, 64], st.Tensors["cls.predictions.transform.dense.weight"].Shape);
        using (var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.ModelPath, "config.json"))))
            Assert.Equal("BertForMaskedLM", cfg.RootElement.GetProperty("architectures")[0].GetString());

        // The saved folder loads again, and a second masked-LM run starts from its trained head (continued pretraining).
        var again = TrainableEncoder.Load(result.ModelPath);
        var head = new MaskedLanguageModelingLoss(again).Parameters.ToDictionary(p => p.Name);
        Assert.Equal(st.ReadFloat32("cls.predictions.transform.dense.weight"), head["cls.predictions.transform.dense.weight"].Data.ToArray());
        Assert.Equal(st.ReadFloat32("bert.embeddings.word_embeddings.weight"),
            again.Parameters.Single(p => p.Name == "embeddings.word_embeddings.weight").Data.ToArray());
    }

    [Fact]
    public void InterruptedRunResumesToTheSameWeights()
    {
        string model = NewBert(), corpus = Corpus(200);
        string fullOut = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        string cutOut = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        var full = new SentenceTrainer(TrainingRun.Build(Config(model, corpus, fullOut, steps: 10))).Run();

        var cut = Config(model, corpus, cutOut, steps: 10);
        Assert.Throws<OperationCanceledException>(() => new SentenceTrainer(TrainingRun.Build(cut,
            p => { if (p.Step == 6) throw new OperationCanceledException(); })).Run()); // stops after the step-4 checkpoint
        Assert.True(File.Exists(Path.Combine(cutOut, "checkpoints", "step-4", "model.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(cutOut, "final")));
        var resumed = new SentenceTrainer(TrainingRun.Build(cut)).Run();
        Assert.EndsWith("step-4", resumed.ResumedFrom);
        Assert.Equal(File.ReadAllBytes(Path.Combine(full.ModelPath, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(resumed.ModelPath, "model.safetensors")));
    }

    [Fact]
    public void NonBertModelsAndBadProbabilitiesAreClearErrors()
    {
        string corpus = Corpus(50), outDir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        var decoder = Config(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "decoder-qwen2"), corpus, outDir, steps: 2);
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(decoder));
        Assert.Contains("BERT, XLM-R/RoBERTa", e.Message);
        Assert.Contains("qwen2", e.Message);
        var bad = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(
            "model: {path: x}\ndata: {train: y}\nloss: {type: mlm, mask_probability: 1}\noutput: {dir: z}", "bad.yaml"));
        Assert.Contains("loss.mask_probability", bad.Message);
    }
}
