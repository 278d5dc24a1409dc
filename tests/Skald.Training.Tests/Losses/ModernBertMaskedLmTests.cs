using Skald.Models.MaskedLm;
using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Masked-LM on ModernBERT: ModernBertForMaskedLM's head read from the checkpoint, its logits against the PyTorch
/// reference (fixtures/models/make_modernbert.py), its gradients against central differences, and a `skald train` run
/// that saves the ModernBertForMaskedLM layout (model.*, head.*, decoder.bias) and continues from its own head.
/// </summary>
public sealed class ModernBertMaskedLmTests
{
    private static readonly string Tiny = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "modernbert-tiny");

    [Fact]
    public void HeadIsReadFromTheCheckpointAndItsLogitsMatchPyTorch()
    {
        var model = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(model);
        var head = Assert.IsType<ModernBertMaskedLmHead>(mlm.Head);
        Assert.Equal(["head.dense.weight", "head.norm.weight", "decoder.bias"], head.Parameters.Select(p => p.Name));
        Assert.Same(((ModernBert)model.Model.Transformer).TokEmbeddings, head.Decoder);
        Assert.Equal(model.Tokenizer.TokenToId("<mask>"), mlm.MaskId);
        using (var st = SafeTensorsFile.Open(Path.Combine(Tiny, "model.safetensors")))
            Assert.Equal(st.ReadFloat32("head.dense.weight"), head.Parameters[0].Data.ToArray());

        using var doc = JsonDocument.Parse(File.ReadLines(Path.Combine(Tiny, "expected_modernbert.jsonl")).First());
        var r = doc.RootElement;
        int[][] ids = [.. r.GetProperty("input_ids").EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray())];
        int[][] mask = [.. r.GetProperty("attention_mask").EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray())];
        int b = ids.Length, t = ids[0].Length, c = model.Config.HiddenSize, v = model.Config.VocabSize;
        var tokens = new TokenBatch([.. ids.SelectMany(x => x)], [.. mask.SelectMany(x => x)], new int[b * t], b, t);
        int[] rows = [.. r.GetProperty("logit_rows").EnumerateArray().Select(x => x.GetInt32())];
        var expected = r.GetProperty("logits").EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetSingle()).ToArray()).ToArray();

        var tape = new Tape(recording: false);
        var h = head.Transform(tape, Ops.SelectRows(tape, model.Model.Transformer.Forward(tape, tokens), rows)).Span;
        var w = head.Decoder.Data.Span;
        var bias = head.DecoderBias!.Data.Span;
        for (int i = 0; i < rows.Length; i++)
        {
            float tolerance = 1e-5f * Math.Max(1f, expected[i].Max(Math.Abs));
            for (int k = 0; k < v; k++)
            {
                double z = bias[k];
                for (int j = 0; j < c; j++) z += (double)h[i * c + j] * w[k * c + j];
                Assert.True(Math.Abs(z - expected[i][k]) <= tolerance, $"row {i} logit {k}: PyTorch {expected[i][k]}, Skald {z}");
            }
        }
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var encoder = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(encoder, maskProbability: 0.3f, seed: 5);
        var checks = new (string Name, int Index)[]
        {
            ("head.dense.weight", 7), ("head.norm.weight", 2), ("decoder.bias", 261), ("embeddings.tok_embeddings.weight", 270 * 32 + 3),
            ("layers.1.attn.Wqkv.weight", 40), ("layers.2.mlp.Wi.weight", 17), ("final_norm.weight", 5),
        };
        MaskedLmReference.MatchesFiniteDifferences(encoder, mlm, checks);
    }

    [Fact]
    public void SkaldTrainSavesModernBertForMaskedLMAndContinuesFromItsHead()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string corpus = Path.Combine(dir, "corpus.txt");
        File.WriteAllLines(corpus, File.ReadLines(Path.Combine(Skald.Tests.Repository.Root, "samples", "data", "corpus.txt")).Take(64));
        var config = ConfigLoader.Parse($"""
            model:
              path: {Tiny}
              dropout: 0.1
            data:
              train: {corpus}
            training:
              batch_size: 8
              learning_rate: 1.0e-3
              max_steps: 4
              no_duplicates: false
            loss:
              type: mlm
              mask_probability: 0.3
            output:
              dir: {Path.Combine(dir, "out")}
              save_steps: 2
              tensorboard: false
            """, "mlm.yaml");
        var result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        Assert.Equal(4, result.Steps);

        using var st = SafeTensorsFile.Open(Path.Combine(result.ModelPath, "model.safetensors"));
        var keys = st.Tensors.Keys.ToHashSet();
        foreach (var k in new[] { "model.embeddings.tok_embeddings.weight", "model.embeddings.norm.weight", "model.layers.0.attn.Wqkv.weight",
                     "model.layers.3.mlp.Wo.weight", "model.final_norm.weight", "head.dense.weight", "head.norm.weight", "decoder.bias" })
            Assert.Contains(k, keys);
        Assert.DoesNotContain("decoder.weight", keys);
        Assert.DoesNotContain(keys, k => !(k.StartsWith("model.", StringComparison.Ordinal) || k.StartsWith("head.", StringComparison.Ordinal) || k == "decoder.bias"));
        using (var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.ModelPath, "config.json"))))
            Assert.Equal("ModernBertForMaskedLM", cfg.RootElement.GetProperty("architectures")[0].GetString());
        using (var src = SafeTensorsFile.Open(Path.Combine(Tiny, "model.safetensors")))
            Assert.NotEqual(src.ReadFloat32("head.dense.weight"), st.ReadFloat32("head.dense.weight")); // the head was trained

        var again = TrainableEncoder.Load(result.ModelPath);
        Assert.IsType<ModernBert>(again.Model.Transformer);
        var head = new MaskedLanguageModelingLoss(again).Parameters.ToDictionary(p => p.Name);
        Assert.Equal(st.ReadFloat32("head.dense.weight"), head["head.dense.weight"].Data.ToArray());
        Assert.Equal(st.ReadFloat32("decoder.bias"), head["decoder.bias"].Data.ToArray());
        Assert.Equal(st.ReadFloat32("model.layers.1.attn.Wqkv.weight"),
            again.Parameters.Single(p => p.Name == "layers.1.attn.Wqkv.weight").Data.ToArray());
    }

    [Fact]
    public void AFolderWithoutHeadGetsModernBertsInitialisation()
    {
        var model = TrainableEncoder.Load(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "modernbert-st-mean"), dropout: 0f);
        var head = new MaskedLanguageModelingLoss(model, seed: 3).Head;
        // norm_bias true in this config: head.norm.bias; classifier_bias false: no head.dense.bias.
        Assert.Equal(["head.dense.weight", "head.norm.weight", "head.norm.bias", "decoder.bias"], head.Parameters.Select(p => p.Name));
        double std = 0.02 / Math.Sqrt(2.0 * 4);
        Assert.All(head.Parameters[0].Data.ToArray(), x => Assert.True(Math.Abs(x) <= 2 * std + 1e-7));
        Assert.All(head.Parameters[1].Data.ToArray(), x => Assert.Equal(1f, x));
        Assert.All(head.Parameters[3].Data.ToArray(), x => Assert.Equal(0f, x));
    }
}
