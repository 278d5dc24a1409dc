using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Training.Data;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// TSDAE (<c>loss.type: tsdae</c>): five AdamW steps of the encoder and its tied BERT decoder against PyTorch
/// (fixtures/training/make_tsdae_reference.py, BertLMHeadModel with cross-attention written out), the word deletion,
/// and <c>skald train</c> saving only the encoder or refusing what it cannot train.
/// </summary>
public sealed class DenoisingAutoEncoderLossTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>
    /// Each step's loss and grad norm within 1e-4 relative, every final weight of the encoder and of the decoder's own
    /// parameters (cross-attention, head) within 1e-4, from the reference's initial decoder.
    /// </summary>
    [Fact]
    public void FiveStepsMatchPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("tsdae.json")));
        var r = doc.RootElement;
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        var loss = new DenoisingAutoEncoderLoss(model, r.GetProperty("deletion_ratio").GetDouble());
        using (var initial = Checkpoint.OpenFile(CorePaths.TrainingFixture("tsdae_decoder_initial.safetensors")))
        {
            Assert.Equal(initial.Keys.Order(), loss.Parameters.Select(p => p.Name).Order()); // the decoder's keys as transformers names them
            foreach (var p in loss.Parameters) initial.Read(p.Name, p.Shape).CopyTo(p.Data.Span);
        }
        TrainingParityTests.Replay(model, r, loss, CorePaths.TrainingFixture("tsdae_final.safetensors"), output,
            step => Assert.Equal(step.GetProperty("columns")[0].EnumerateArray().Select(t => t.GetString()), loss.LastDamaged));
        SpladeTrainingTests.AssertFinalWeights(loss.Parameters, CorePaths.TrainingFixture("tsdae_decoder_final.safetensors"), r.GetProperty("lr").GetSingle(), output);
    }

    /// <summary>
    /// <c>tie_encoder_decoder: false</c>: the decoder is a BERT of its own read from the model's checkpoint (names under
    /// <see cref="DenoisingAutoEncoderLoss.DecoderPrefix"/>), trained beside the encoder; five steps equal PyTorch's
    /// (the encoder, the decoder's BERT and its new parameters within 1e-4).
    /// </summary>
    [Fact]
    public void AnUntiedDecoderTrainsItsOwnBertAsPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("tsdae_untied.json")));
        var r = doc.RootElement;
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        var loss = new DenoisingAutoEncoderLoss(model, r.GetProperty("deletion_ratio").GetDouble(), 42, tied: false, decoderPath: null);
        var own = loss.Parameters.Where(p => p.Name.StartsWith(DenoisingAutoEncoderLoss.DecoderPrefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(model.Model.Transformer.Parameters.Count, own.Count);
        Assert.DoesNotContain(own, p => model.Parameters.Any(m => ReferenceEquals(m, p))); // not the encoder's
        using (var initial = Checkpoint.OpenFile(CorePaths.TrainingFixture("tsdae_decoder_initial.safetensors")))
            foreach (var p in loss.Parameters.Except(own)) initial.Read(p.Name, p.Shape).CopyTo(p.Data.Span);
        TrainingParityTests.Replay(model, r, loss, CorePaths.TrainingFixture("tsdae_untied_final.safetensors"), output);
        SpladeTrainingTests.AssertFinalWeights(loss.Parameters, CorePaths.TrainingFixture("tsdae_untied_decoder_final.safetensors"), r.GetProperty("lr").GetSingle(), output);
    }

    /// <summary>
    /// An untied decoder with another tokenizer (an XLM-R decoder for a BERT encoder) writes the sentence in its own
    /// tokens, as upstream tokenizes the target again for it; the loss is its vocabulary's cross-entropy.
    /// </summary>
    [Fact]
    public void ADecoderWithAnotherTokenizerWritesItsOwnTokens()
    {
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        string xlmr = CorePaths.FixtureModel("xlmr-mlm-tiny");
        var loss = new DenoisingAutoEncoderLoss(model, 0.6, 42, tied: false, decoderPath: xlmr);
        string[] sentences = ["Bussen går klokka sju fra torget.", "Ferja legger til ved kaia i morgon."];
        model.ZeroGradients();
        float value = loss.ComputeAndBackward(model, new TrainingBatch([sentences]));
        var mine = Skald.Tokenizers.Tokenizer.FromFile(Path.Combine(xlmr, "tokenizer.json")).EncodeBatch(sentences);
        var targets = loss.LastTargets!;
        for (int r = 0; r < sentences.Length; r++)
            Assert.Equal(mine[r].Ids, targets.Ids.AsSpan(r * targets.Seq, mine[r].Ids.Length).ToArray());
        Assert.NotEqual(model.Tokenizer.EncodeBatch(sentences)[0].Ids, mine[0].Ids); // the encoder's tokens differ
        Assert.InRange(value, 1, 2 * Math.Log(536)); // about ln(vocabulary) for a fresh head over 536 tokens
        Assert.Contains(loss.Parameters, p => p.Name.StartsWith(DenoisingAutoEncoderLoss.DecoderPrefix, StringComparison.Ordinal) && p.Grad.ToArray().Any(g => g != 0));
        Assert.Contains(model.Parameters, p => p.Grad.ToArray().Any(g => g != 0)); // the encoder learns through the embedding
    }

    /// <summary>
    /// The decoder with a tokenizer of its own writes what the encoder read, as upstream's <c>retokenize</c> does: the
    /// encoder's tokens (cut at its max_seq_length by the collator) decoded to text, then that text in the decoder's
    /// tokens, cut only at the decoder tokenizer's model_max_length (512). It wrote the whole sentence in the decoder's
    /// tokens cut at the encoder's length (8 XLM-R tokens here). The expected texts are bert-cased-mean's first six
    /// WordPiece pieces of each sentence (B ##us ##s ##en går klokka; F ##er ##ja l ##eg ##g), joined by hand.
    /// </summary>
    [Fact]
    public void ADecoderWithAnotherTokenizerWritesWhatTheEncoderRead()
    {
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        model.MaxSeqLength = 8; // [CLS], six pieces, [SEP]
        string xlmr = CorePaths.FixtureModel("xlmr-mlm-tiny");
        var loss = new DenoisingAutoEncoderLoss(model, 0.6, 42, tied: false, decoderPath: xlmr);
        string[] sentences = ["Bussen går klokka sju fra torget i morgon tidleg.", "Ferja legger til ved kaia."];
        model.ZeroGradients();
        loss.ComputeAndBackward(model, new TrainingBatch([sentences]));
        var decoder = Skald.Tokenizers.Tokenizer.FromFile(Path.Combine(xlmr, "tokenizer.json"));
        var expected = decoder.EncodeBatch(["Bussen går klokka", "Ferja legg"]);
        var targets = loss.LastTargets!;
        Assert.Equal(expected.Max(e => e.Ids.Length), targets.Seq);
        for (int r = 0; r < sentences.Length; r++)
            Assert.Equal(expected[r].Ids, targets.Ids.AsSpan(r * targets.Seq, expected[r].Ids.Length).ToArray());
    }

    /// <summary>
    /// An untied GPT-2 decoder (upstream's GPT2LMHeadModel with add_cross_attention): new cross-attention blocks under
    /// the decoder's names in transformers' keys, the sentence written in GPT-2's tokens through its tied LM head, and the
    /// gradient reaching the encoder through the embedding (the decoder's forward and gradients equal PyTorch in
    /// <c>Gpt2CrossAttentionTests</c>).
    /// </summary>
    [Fact]
    public void AGpt2DecoderReadsTheEmbeddingThroughNewCrossAttention()
    {
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        string gpt2 = CorePaths.FixtureModel("decoder-gpt2");
        var loss = new DenoisingAutoEncoderLoss(model, 0.6, 42, tied: false, decoderPath: gpt2);
        Assert.Null(loss.Head);
        var byName = loss.Parameters.ToDictionary(p => p.Name);
        string prefix = DenoisingAutoEncoderLoss.DecoderPrefix;
        Assert.Equal([64, 32], byName[prefix + "h.1.crossattention.c_attn.weight"].Shape); // held [out, in], stored as Conv1D
        Assert.True(byName[prefix + "h.1.crossattention.c_attn.weight"].StoredTransposed);
        Assert.All(new[] { "h.0.ln_cross_attn.weight", "h.0.crossattention.q_attn.bias", "h.1.crossattention.c_proj.weight", "wte.weight" },
            k => Assert.Contains(prefix + k, byName.Keys));
        string[] originals = ["Bussen går klokka sju fra torget.", "Ferja legger til ved kaia i morgon."];
        string[] damaged = ["Bussen sju torget.", "Ferja kaia morgon."];
        model.ZeroGradients();
        foreach (var p in loss.Parameters) p.Grad.Span.Clear();
        float value = loss.ComputeAndBackward(model, new TrainingBatch([damaged, originals]));
        var mine = Skald.Tokenizers.Tokenizer.FromFile(Path.Combine(gpt2, "tokenizer.json")).EncodeBatch(originals);
        var targets = loss.LastTargets!;
        for (int r = 0; r < originals.Length; r++)
            Assert.Equal(mine[r].Ids, targets.Ids.AsSpan(r * targets.Seq, mine[r].Ids.Length).ToArray());
        Assert.InRange(value, 1, 4 * Math.Log(288));
        Assert.Contains(byName[prefix + "h.0.crossattention.c_attn.weight"].Grad.ToArray(), g => g != 0);
        Assert.All(byName[prefix + "h.0.crossattention.q_attn.weight"].Grad.ToArray(), g => Assert.Equal(0f, g)); // one key: softmax 1
        Assert.Contains(model.Parameters, p => p.Grad.ToArray().Any(g => g != 0)); // the encoder learns through the embedding
        var opt = new Skald.Training.Optim.AdamW([.. model.Parameters.Concat(loss.Parameters).Where(p => p.RequiresGrad)], weightDecay: 0f);
        opt.Step(1e-3f);
        float last = value;
        for (int step = 0; step < 9; step++)
        {
            model.ZeroGradients();
            foreach (var p in loss.Parameters) p.Grad.Span.Clear();
            last = loss.ComputeAndBackward(model, new TrainingBatch([damaged, originals]));
            opt.Step(1e-3f);
        }
        output.WriteLine($"reconstruction loss {value:F3} -> {last:F3}");
        Assert.True(float.IsFinite(last) && last < value - 0.1f, $"{value} -> {last}");
    }

    /// <summary>
    /// The reference's damaged sentences are its originals' words in order with some left out (Skald's word split and
    /// join, which the script restates), and the deletion draws about the ratio, never leaving a text empty.
    /// </summary>
    [Fact]
    public void WordDeletionKeepsOrderAndAboutTheRatio()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("tsdae.json")));
        foreach (var step in doc.RootElement.GetProperty("steps").EnumerateArray())
        {
            var cols = step.GetProperty("columns");
            for (int i = 0; i < cols[0].GetArrayLength(); i++)
            {
                string damaged = cols[0][i].GetString()!, original = cols[1][i].GetString()!;
                Assert.Equal(original, WordDeletion.Join(WordDeletion.Words(original))); // these sentences round-trip
                var kept = WordDeletion.Words(damaged);
                Assert.NotEmpty(kept);
                int at = 0;
                var words = WordDeletion.Words(original);
                foreach (var w in kept)
                {
                    while (at < words.Count && words[at] != w) at++;
                    Assert.True(at < words.Count, $"'{damaged}' is not '{original}' with words left out");
                    at++;
                }
            }
        }
        Assert.Equal("Hvor ligger (det) «gamle» huset, egentlig?", WordDeletion.Join(["Hvor", "ligger", "(", "det", ")", "«", "gamle", "»", "huset", ",", "egentlig", "?"]));
        var random = new SkaldRandom(1);
        string text = string.Join(' ', Enumerable.Range(0, 50).Select(i => $"ord{i}"));
        int total = 0;
        for (int k = 0; k < 200; k++)
        {
            int n = WordDeletion.Words(WordDeletion.Delete(text, 0.6, random)).Count;
            Assert.InRange(n, 1, 50);
            total += n;
        }
        Assert.InRange(total / 200.0 / 50, 0.35, 0.45); // 40% kept
        Assert.Equal("ett", WordDeletion.Delete("ett", 0.99, random)); // the one word stays
        Assert.Equal(text, WordDeletion.Delete(text, 0, random));
    }

    [Fact]
    public void SkaldTrainSavesTheEncoderOnlyOrRefusesWithOneLine()
    {
        string data = InfraPaths.WriteFile(dir, "sentences.txt", string.Concat(Enumerable.Range(0, 12).Select(i =>
            $"Bussen til sentrum går klokka {i} fra torget ved kirken.\n")));
        string bert = InfraPaths.FixtureModel("bert-cased-mean");
        var ok = SkaldProcess.RunIn(dir, "train", "--config", TrainConfigs.Write(dir, bert, data, "  type: tsdae\n  deletion_ratio: 0.5", out var okDir, maxSteps: 3, noDuplicates: false), "--quiet");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        using (var saved = Checkpoint.OpenFolder(Path.Combine(okDir, "final")))
        using (var source = Checkpoint.OpenFolder(bert))
        {
            Assert.Equal(source.Keys.Order(), saved.Keys.Order()); // the encoder's keys: no crossattention, no cls head
            Assert.NotEqual(source.Read("encoder.layer.0.output.dense.weight", 32, 64), saved.Read("encoder.layer.0.output.dense.weight", 32, 64));
        }
        Assert.Contains("DenoisingAutoEncoderLoss", File.ReadAllText(Path.Combine(okDir, "final", "README.md")));
        // An untied decoder trains beside the encoder and is not saved either.
        var untied = SkaldProcess.RunIn(dir, "train", "--config", TrainConfigs.Write(dir, bert, data, "  type: tsdae\n  tie_encoder_decoder: false", out var untiedDir, maxSteps: 2, noDuplicates: false), "--quiet");
        Assert.True(untied.ExitCode == 0, untied.Stderr);
        using (var saved = Checkpoint.OpenFolder(Path.Combine(untiedDir, "final")))
        using (var source = Checkpoint.OpenFolder(bert))
            Assert.Equal(source.Keys.Order(), saved.Keys.Order());
        Assert.Contains("\"tie_encoder_decoder\": false", File.ReadAllText(Path.Combine(untiedDir, "final", "README.md")));
        foreach (var (model, loss, message) in new[]
        {
            (InfraPaths.FixtureModel("modernbert-st-mean"), "  type: tsdae", "needs a BERT, XLM-R or GPT-2 model"),
            (bert, "  type: mnrl\n  deletion_ratio: 0.5", "loss.deletion_ratio is TSDAE's"),
            (bert, "  type: tsdae\n  cached: true", "loss.cached takes a loss over embeddings"),
            (bert, "  type: tsdae\n  decoder: " + bert, "set loss.tie_encoder_decoder: false"),
            (bert, "  type: mnrl\n  tie_encoder_decoder: false", "loss.tie_encoder_decoder is TSDAE's"),
            (bert, "  type: tsdae\n  tie_encoder_decoder: false\n  decoder: " + Path.Combine(dir, "nowhere"), "loss.decoder folder not found"),
            (bert, "  type: tsdae\n  tie_encoder_decoder: false\n  decoder: " + InfraPaths.FixtureModel("modernbert-st-mean"), "is not a BERT, XLM-R or GPT-2 model"),
        })
            TrainConfigs.AssertRefused(dir, TrainConfigs.Write(dir, model, data, loss, out _, noDuplicates: false), message);
    }

    [Fact]
    public void TheExampleConfigTrainsTheFixture()
    {
        string outDir = Path.Combine(dir, "example");
        var r = SkaldProcess.RunIn(InfraPaths.RepoRoot, "train", "--config", Path.Combine(InfraPaths.RepoRoot, "configs", "tsdae-example.yaml"),
            "--quick-test", "--set", "model.path=fixtures/models/bert-cased-mean", "--set", $"output.dir={outDir}", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("eval_", File.ReadAllText(Path.Combine(outDir, "metrics.jsonl")));
        Assert.True(File.Exists(Path.Combine(outDir, "final", "model.safetensors")));
    }

    /// <summary>
    /// After training on eight sentences that differ in one word, the decoder writes each back better from its own
    /// embedding than from another sentence's: the word only the embedding tells it (the decoder does not just model
    /// the language).
    /// </summary>
    [Fact]
    public void TheDecoderReadsTheSentenceEmbedding()
    {
        string[] originals = [.. new[] { "sju", "åtte", "ni", "ti", "elleve", "tolv", "ett", "to" }.Select(x => $"Toget til Oslo går klokka {x} i dag.")];
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        var loss = new DenoisingAutoEncoderLoss(model);
        var all = model.Parameters.Concat(loss.Parameters).ToList();
        var opt = new Skald.Training.Optim.AdamW(all, weightDecay: 0f);
        float Step(string[] sources, bool train)
        {
            model.ZeroGradients();
            foreach (var p in loss.Parameters) p.Grad.Span.Clear();
            float value = loss.ComputeAndBackward(model, new TrainingBatch([sources, originals]));
            if (train) opt.Step(3e-3f);
            return value;
        }
        float before = Step([.. originals.Skip(1), originals[0]], train: false) - Step(originals, train: false);
        for (int step = 0; step < 200; step++) Step(originals, train: true);
        float own = Step(originals, train: false), other = Step([.. originals.Skip(1), originals[0]], train: false);
        output.WriteLine($"reconstruction loss from its own embedding {own:F3}, from the next sentence's {other:F3} (gap before training {before:F3})");
        Assert.True(other - own > 0.3f, $"own {own:F3}, other {other:F3}");
    }

    /// <summary>A run stopped after a checkpoint resumes to the uninterrupted run's bytes (decoder, noise draws and dropout restored).</summary>
    [Fact]
    public void InterruptedRunResumesToTheSameWeights()
    {
        string data = InfraPaths.WriteFile(dir, "resume.txt", string.Concat(Enumerable.Range(0, 40).Select(i =>
            $"Skipet {i} seiler nordover langs kysten i morgen tidlig.\n")));
        Skald.Training.Config.TrainingConfig Config(string outDir) => Skald.Training.Config.ConfigLoader.Parse($"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
              dropout: 0.1
            data:
              train: {data}
            training:
              batch_size: 4
              learning_rate: 1.0e-3
              max_steps: 8
              no_duplicates: false
            loss:
              type: tsdae
            output:
              dir: {outDir}
              save_steps: 4
              tensorboard: false
            """, "tsdae.yaml");
        var full = new SentenceTrainer(TrainingRun.Build(Config(Path.Combine(dir, "full")))).Run();
        var cut = Config(Path.Combine(dir, "cut"));
        Assert.Throws<OperationCanceledException>(() => new SentenceTrainer(TrainingRun.Build(cut,
            p => { if (p.Step == 6) throw new OperationCanceledException(); })).Run());
        var resumed = new SentenceTrainer(TrainingRun.Build(cut)).Run();
        Assert.EndsWith("step-4", resumed.ResumedFrom);
        Assert.Equal(File.ReadAllBytes(Path.Combine(full.ModelPath, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(resumed.ModelPath, "model.safetensors")));
    }

    /// <summary>
    /// XLM-R (RoBERTa positions from the ids, XLMRobertaForMaskedLM's <c>lm_head</c> read from the checkpoint) trains
    /// as a TSDAE encoder too: the reconstruction loss of a fixed batch falls.
    /// </summary>
    [Fact]
    public void XlmRobertaTrainsWithItsOwnHead()
    {
        var model = TrainableEncoder.Load(InfraPaths.FixtureModel("xlmr-mlm-tiny"), dropout: 0f);
        var loss = new DenoisingAutoEncoderLoss(model);
        Assert.True(loss.Head!.FromCheckpoint);
        Assert.Contains(loss.Parameters, p => p.Name.StartsWith("lm_head", StringComparison.Ordinal));
        var all = model.Parameters.Concat(loss.Parameters).ToList();
        var opt = new Skald.Training.Optim.AdamW(all, weightDecay: 0f);
        string[] originals = ["Toget går klokka sju i dag.", "Ferja går over fjorden."];
        var batch = new TrainingBatch([["Toget sju dag.", "Ferja fjorden."], originals]);
        float first = 0, last = 0;
        for (int step = 0; step < 10; step++)
        {
            model.ZeroGradients();
            foreach (var p in loss.Parameters) p.Grad.Span.Clear();
            last = loss.ComputeAndBackward(model, batch);
            if (step == 0) first = last;
            opt.Step(1e-3f);
        }
        output.WriteLine($"reconstruction loss {first:F3} -> {last:F3}");
        Assert.True(float.IsFinite(last) && last < first - 0.1f, $"{first} -> {last}");
    }
}
