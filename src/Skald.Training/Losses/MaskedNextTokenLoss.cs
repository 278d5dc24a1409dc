using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// Masked next-token prediction, LLM2Vec's first step (<c>loss: {type: mntp, mask_probability: 0.2}</c>): tokens of a
/// decoder's input are masked as BERT's masked-LM does, and the token at position i is predicted from the LM head's
/// logits at position i−1 (LlamaBiForMNTP is LlamaForCausalLM's shifted loss over a bidirectional model); the loss is
/// the mean cross-entropy over the masked positions that have a predecessor. Masking follows LLM2Vec's two collators:
/// transformers' DataCollatorForLanguageModeling (80% mask token, 10% random, 10% unchanged) or its all-mask variant;
/// the mask token is the tokenizer's, else LLM2Vec's "blank" <c>_</c>. Non-special tokens only; the draws come from the
/// model's checkpointed generator. The vocabulary projection runs outside the tape, 64 rows at a time
/// (<see cref="VocabularyCrossEntropy"/>), and only d(loss)/d(hidden) of the predicting rows enters the tape: [B, T, V] logits are never held.
/// </summary>
/// <remarks>Upstream: https://github.com/McGill-NLP/llm2vec/blob/267299dea1cac98af47d8718d0505af224b79aa1/experiments/run_mntp.py
/// and llm2vec/models/bidirectional_llama.py (LlamaBiForMNTP)</remarks>
public sealed class MaskedNextTokenLoss : ILoss
{
    private readonly float maskProbability;
    private readonly bool allMask;
    private readonly Tape tape = new();
    private readonly VocabularyCrossEntropy projection = new();
    private float[] hiddenGrad = [];

    /// <summary>A loss for <paramref name="model"/> (a decoder with an LM head).</summary>
    public MaskedNextTokenLoss(TrainableEncoder model, float maskProbability = 0.2f, bool allMask = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Model.Transformer is not IDecoder { LmHead: not null } decoder)
            throw new ArgumentException($"loss.type mntp needs a decoder with an LM head; {model.Source.Path} is {model.Config.ModelType}" +
                (model.Model.Transformer is IDecoder ? " without lm_head.weight" : ""));
        if (maskProbability is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(maskProbability), "mask_probability must be in (0, 1)");
        this.maskProbability = maskProbability;
        this.allMask = allMask;
        MaskId = model.Tokenizer.TokenToId("<mask>") ?? model.Tokenizer.TokenToId("[MASK]") ?? model.Tokenizer.TokenToId("_")
            ?? throw new ArgumentException($"{model.Source.Path}: the tokenizer has no mask token and no \"_\" token for loss.type mntp");
        Head = decoder.LmHead!;
    }

    /// <inheritdoc />
    public string Name => "mntp";

    /// <summary>The token masked positions get.</summary>
    public int MaskId { get; }

    /// <summary>The decoder's LM head.</summary>
    public LmHead Head { get; }

    /// <summary>Runs data-parallel: each rank masks the whole batch and trains on its shard (<see cref="MaskedShard"/>).</summary>
    public bool SpansRanks => true;

    /// <inheritdoc />
    public bool TakesGlobalBatch => true;

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        var encodings = encoder.Tokenize(batch.Columns[0]);
        var tokens = TokenBatch.Pad(encodings, encoder.PadId);
        var targets = TokenMasking.Apply(encodings, tokens, encoder.Random, maskProbability, MaskId, Head.VocabSize, allMask, out _);
        if (encoder.Communicator.Size == 1) return Loss(encoder, tokens, targets, backward: true, gradientScale);
        return MaskedShard.Mean(encoder.Communicator, tokens, targets, (t, g) => Predicted(t, g).Rows.Count,
            (t, g, n) => Sum(encoder, t, g, backward: true, gradientScale / n, out _));
    }

    /// <summary>
    /// The loss of already-masked <paramref name="tokens"/> whose original ids are <paramref name="targets"/> (−1: not
    /// masked), with the model's dropout; with <paramref name="backward"/> it adds <paramref name="gradientScale"/> × its
    /// gradient to every parameter that requires one.
    /// </summary>
    public float Loss(TrainableEncoder model, TokenBatch tokens, int[] targets, bool backward, float gradientScale = 1f)
    {
        double sum = Sum(model, tokens, targets, backward, gradientScale, out int n, divide: true);
        return n == 0 ? 0f : (float)(sum / n);
    }

    /// <summary>The rows predicting each masked position (i − 1 for position i ≥ 1 of a sequence) and their targets.</summary>
    private static (List<int> Rows, List<int> Labels) Predicted(TokenBatch tokens, int[] targets)
    {
        var rows = new List<int>();
        var labels = new List<int>();
        for (int b = 0; b < tokens.Batch; b++)
        {
            for (int t = 1; t < tokens.Seq; t++)
            {
                int i = b * tokens.Seq + t;
                if (targets[i] < 0 || tokens.Mask[i - 1] == 0) continue; // nothing real predicts it (left padding)
                rows.Add(i - 1);
                labels.Add(targets[i]);
            }
        }
        return (rows, labels);
    }

    /// <summary>
    /// Σ of the cross-entropy over the <paramref name="n"/> predicted positions; with <paramref name="backward"/> adds
    /// <paramref name="gradientScale"/> × its gradient (÷ n when <paramref name="divide"/>: the mean's) to the parameters.
    /// </summary>
    private double Sum(TrainableEncoder model, TokenBatch tokens, int[] targets, bool backward, float gradientScale, out int n,
        bool divide = false)
    {
        var (rows, labels) = Predicted(tokens, targets);
        n = rows.Count;
        if (n == 0) return 0;

        model.Configure(tape, record: backward, dropout: backward);
        try
        {
            var hidden = model.Model.Transformer.Forward(tape, tokens); // [B·T, C]
            int c = hidden.Cols;
            if (backward)
            {
                if (hiddenGrad.Length < hidden.Length) hiddenGrad = new float[hidden.Length];
                hiddenGrad.AsSpan(0, hidden.Length).Clear();
            }
            double loss = projection.Run(hidden.Span, c, rows, labels, Head.Weight, null, Head.SoftCap,
                divide ? gradientScale / n : gradientScale, backward ? hiddenGrad.AsSpan(0, hidden.Length) : default);
            if (backward)
            {
                tape.Seed(hidden, hiddenGrad.AsSpan(0, hidden.Length));
                tape.Backward();
            }
            return loss;
        }
        finally
        {
            tape.Reset();
        }
    }
}
