using System.Diagnostics;
using Skald.Tensors;
using Skald.Tokenizers;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;
using Skald.Training.Optim;
using Skald.Training.Trainer;

namespace Skald.Training.Modeling;

/// <summary>Settings of masked-language-model pretraining (BERT's recipe, as transformers' DataCollatorForLanguageModeling).</summary>
public sealed record MlmOptions
{
    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Texts per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate (linear warm-up over <see cref="WarmupRatio"/> of the steps, then linear decay).</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Fraction of the steps used for warm-up.</summary>
    public float WarmupRatio { get; init; } = 0.1f;

    /// <summary>Share of real (non-special) tokens selected for prediction; of those 80% become [MASK], 10% a random token, 10% stay.</summary>
    public float MaskProbability { get; init; } = 0.15f;

    /// <summary>AdamW weight decay (not on biases and LayerNorm weights).</summary>
    public float WeightDecay { get; init; } = 0.01f;

    /// <summary>Global gradient-norm clipping.</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Seed of the text order and the masking.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Called after every step with (step, loss).</summary>
    public Action<int, float>? Progress { get; init; }
}

/// <summary>
/// Masked-language-model pretraining of a <see cref="TrainableEncoder"/> (BERT only), with BertForMaskedLM's head
/// (https://github.com/huggingface/transformers/blob/main/src/transformers/models/bert/modeling_bert.py:
/// BertPredictionHeadTransform = dense [C, C] + activation + LayerNorm, then a decoder tied to the word embeddings
/// plus a bias [V]). The loss is the mean cross-entropy over the selected positions. The head is discarded after
/// pretraining: the sentence-embedding stages that follow use the encoder.
/// </summary>
public sealed class MaskedLanguageModeling
{
    private readonly TrainableEncoder encoder;
    private readonly Parameter wordEmbeddings; // the encoder's embeddings.word_embeddings.weight [V, C], the tied decoder
    private readonly Parameter dense, denseBias, lnWeight, lnBias, decoderBias;
    private readonly int maskId, vocab;
    private readonly Tape tape = new();

    /// <summary>A new randomly initialised head (N(0, 0.02²), LayerNorm 1/0, biases 0) over <paramref name="encoder"/>.</summary>
    public MaskedLanguageModeling(TrainableEncoder encoder, ulong seed = 42)
    {
        wordEmbeddings = (encoder.Model.Transformer as BertModel)?.WordEmbeddings
            ?? throw new ArgumentException("masked-LM pretraining is implemented for BERT models");
        this.encoder = encoder;
        int c = encoder.Config.HiddenSize;
        vocab = encoder.Config.VocabSize;
        maskId = encoder.Tokenizer.TokenToId("[MASK]") ?? encoder.Tokenizer.TokenToId("<mask>")
            ?? throw new ArgumentException("the tokenizer has no [MASK] token");
        // BertOnlyMLMHead: cls.predictions.transform.{dense, LayerNorm}, cls.predictions.bias (the decoder weight is tied).
        var p = ParameterBuilder.FromInitializer(BertModel.Initializer(encoder.Config, new SkaldRandom(seed))).Sub("cls.predictions");
        var transform = p.Sub("transform");
        dense = transform.Tensor("dense.weight", c, c);
        denseBias = transform.Tensor("dense.bias", c);
        lnWeight = transform.Tensor("LayerNorm.weight", c);
        lnBias = transform.Tensor("LayerNorm.bias", c);
        decoderBias = p.Tensor("bias", vocab);
    }

    /// <summary>The head's own parameters (the decoder weight is the encoder's word-embedding table).</summary>
    public IReadOnlyList<Parameter> HeadParameters => [dense, denseBias, lnWeight, lnBias, decoderBias];

    /// <summary>Every parameter the MLM step trains.</summary>
    public IReadOnlyList<Parameter> Parameters => [.. encoder.Parameters, .. HeadParameters];

    /// <summary>
    /// Masks <paramref name="texts"/> with <paramref name="maskRandom"/>, runs encoder and head (dropout as the encoder
    /// says), returns the mean cross-entropy over the selected positions; with <paramref name="backward"/> also adds
    /// the gradients of every parameter.
    /// </summary>
    public float Loss(IReadOnlyList<string> texts, SkaldRandom maskRandom, bool backward, float maskProbability = 0.15f)
    {
        var encodings = encoder.Tokenize(texts);
        var tokens = TokenBatch.Pad(encodings, encoder.PadId);
        int[] ids = tokens.Ids;
        int seq = tokens.Seq, n = tokens.Count;
        var targets = new int[n];
        Array.Fill(targets, -1);
        int selected = 0;
        for (int b = 0; b < tokens.Batch; b++)
        {
            var special = encodings[b].SpecialTokensMask;
            for (int t = 0; t < encodings[b].Ids.Length; t++)
            {
                if (special[t] != 0 || maskRandom.NextDouble() >= maskProbability) continue;
                Select(b * seq + t);
            }
        }
        if (selected == 0)
        {
            // Always predict something: the first real token of the first text.
            int t = Array.IndexOf(encodings[0].SpecialTokensMask, 0);
            if (t < 0) return 0f;
            Select(t);
        }

        tape.Recording = backward;
        tape.Dropout = encoder.Dropout;
        tape.Random = encoder.Random;
        try
        {
            var x = encoder.Model.Transformer.Forward(tape, tokens);
            var h = Ops.Activation(tape, Ops.Linear(tape, x, dense, denseBias), ActivationKind.Gelu);
            h = Ops.LayerNormalization(tape, h, lnWeight, lnBias, encoder.Config.LayerNormEps);
            var logits = Ops.Linear(tape, h, wordEmbeddings, decoderBias); // [N, V], decoder tied to the word table
            var grad = backward ? new float[n * vocab] : null;
            double loss = 0;
            var l = logits.Span;
            for (int i = 0; i < n; i++)
            {
                if (targets[i] < 0) continue;
                var row = l.Slice(i * vocab, vocab);
                float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
                double sum = 0;
                for (int v = 0; v < vocab; v++) sum += Math.Exp(row[v] - max);
                double lse = max + Math.Log(sum);
                loss += lse - row[targets[i]];
                if (grad is null) continue;
                var g = grad.AsSpan(i * vocab, vocab);
                for (int v = 0; v < vocab; v++) g[v] = (float)(Math.Exp(row[v] - lse) / selected);
                g[targets[i]] -= 1f / selected;
            }
            if (grad is not null)
            {
                tape.Seed(logits, grad);
                tape.Backward();
            }
            return (float)(loss / selected);
        }
        finally
        {
            tape.Reset();
        }

        void Select(int i)
        {
            targets[i] = ids[i];
            selected++;
            double r = maskRandom.NextDouble();
            if (r < 0.8) ids[i] = maskId;
            else if (r < 0.9) ids[i] = maskRandom.Next(vocab);
        }
    }

    /// <summary>Pretrains on <paramref name="corpus"/> (texts drawn in a seeded shuffled order, epoch after epoch).</summary>
    public (int Steps, float FirstLoss, float LastLoss, TimeSpan Elapsed) Train(IReadOnlyList<string> corpus, MlmOptions options)
    {
        if (corpus.Count == 0) throw new ArgumentException("empty corpus", nameof(corpus));
        var clock = Stopwatch.StartNew();
        var parameters = Parameters;
        var adam = new AdamW(parameters, weightDecay: options.WeightDecay);
        var schedule = new LearningRateSchedule("linear", options.LearningRate,
            (int)Math.Ceiling(options.Steps * options.WarmupRatio), options.Steps);
        var order = Enumerable.Range(0, corpus.Count).ToArray();
        var random = new SkaldRandom(options.Seed);
        int at = order.Length;
        var losses = new List<float>();
        for (int step = 0; step < options.Steps; step++)
        {
            var texts = new string[Math.Min(options.BatchSize, corpus.Count)];
            for (int i = 0; i < texts.Length; i++)
            {
                if (at == order.Length)
                {
                    Skald.Training.Data.TextDataset.Shuffle(order, random);
                    at = 0;
                }
                texts[i] = corpus[order[at++]];
            }
            foreach (var p in parameters) p.Grad.Span.Clear();
            float loss = Loss(texts, random, backward: true, options.MaskProbability);
            GradientClipping.ClipGlobalNorm(parameters, options.MaxGradNorm);
            adam.Step(schedule.At(step));
            losses.Add(loss);
            options.Progress?.Invoke(step + 1, loss);
        }
        int tenth = Math.Max(1, losses.Count / 10);
        return (losses.Count, losses.Take(tenth).Average(), losses.Skip(losses.Count - tenth).Average(), clock.Elapsed);
    }
}
