using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Gemm;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// Masked next-token prediction, LLM2Vec's first step (<c>loss: {type: mntp, mask_probability: 0.2}</c>): tokens of a
/// decoder's input are masked as BERT's masked-LM does, and the token at position i is predicted from the LM head's
/// logits at position i−1 (LlamaBiForMNTP is LlamaForCausalLM's shifted loss over a bidirectional model); the loss is
/// the mean cross-entropy over the masked positions that have a predecessor. Masking follows LLM2Vec's two collators:
/// transformers' DataCollatorForLanguageModeling (80% mask token, 10% random, 10% unchanged) or its all-mask variant;
/// the mask token is the tokenizer's, else LLM2Vec's "blank" <c>_</c>. Non-special tokens only; the draws come from the
/// model's checkpointed generator. The vocabulary projection runs outside the tape, <see cref="ChunkRows"/> rows at a
/// time, and only d(loss)/d(hidden) of the predicting rows enters the tape: [B, T, V] logits are never held.
/// </summary>
/// <remarks>Upstream: https://github.com/McGill-NLP/llm2vec/blob/267299dea1cac98af47d8718d0505af224b79aa1/experiments/run_mntp.py
/// and llm2vec/models/bidirectional_llama.py (LlamaBiForMNTP)</remarks>
public sealed class MaskedNextTokenLoss : ILoss
{
    /// <summary>Rows of logits computed at once.</summary>
    public const int ChunkRows = 64;

    private readonly float maskProbability;
    private readonly bool allMask;
    private readonly Tape tape = new();
    private float[] logits = [], hiddenGrad = [], chunkHidden = [], chunkGrad = [];

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

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        var encodings = encoder.Tokenize(batch.Columns[0]);
        var tokens = TokenBatch.Pad(encodings, encoder.PadId);
        var targets = Mask(encodings, tokens, encoder.Random, Head.VocabSize);
        return Loss(encoder, tokens, targets, backward: true, gradientScale);
    }

    /// <summary>
    /// The loss of already-masked <paramref name="tokens"/> whose original ids are <paramref name="targets"/> (−1: not
    /// masked), with the model's dropout; with <paramref name="backward"/> it adds <paramref name="gradientScale"/> × its
    /// gradient to every parameter that requires one.
    /// </summary>
    public float Loss(TrainableEncoder model, TokenBatch tokens, int[] targets, bool backward, float gradientScale = 1f)
    {
        // Position i (masked, i ≥ 1) is predicted from row i − 1 of the same sequence.
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
        if (rows.Count == 0) return 0f;

        tape.Reset();
        tape.Recording = backward;
        tape.Dropout = model.Dropout;
        tape.Training = backward;
        tape.Random = model.Random;
        try
        {
            var hidden = model.Model.Transformer.Forward(tape, tokens); // [B·T, C]
            int c = hidden.Cols, v = Head.VocabSize, n = rows.Count;
            if (backward)
            {
                if (hiddenGrad.Length < hidden.Length) hiddenGrad = new float[hidden.Length];
                hiddenGrad.AsSpan(0, hidden.Length).Clear();
            }
            double loss = 0;
            for (int start = 0; start < n; start += ChunkRows)
                loss += Chunk(hidden.Span, rows, labels, start, Math.Min(ChunkRows, n - start), c, v, n, backward, gradientScale);
            if (backward)
            {
                tape.Seed(hidden, hiddenGrad.AsSpan(0, hidden.Length));
                tape.Backward();
            }
            return (float)(loss / n);
        }
        finally
        {
            tape.Reset();
        }
    }

    // For m rows h [m, C]: z = h·Wᵀ [m, V] (then c·tanh(z/c) when soft-capped); loss_r = logsumexp(z_r) − z_r[label];
    // dz = (softmax(z) − onehot) · scale / n;  dh = dz·W;  dW += dzᵀ·h when the head trains.
    private double Chunk(ReadOnlySpan<float> hidden, List<int> rows, List<int> labels, int start, int m, int c, int v, int n,
        bool backward, float scale)
    {
        var w = Head.Weight;
        if (chunkHidden.Length < m * c)
        {
            chunkHidden = new float[m * c];
            chunkGrad = new float[m * c];
        }
        var h = chunkHidden.AsSpan(0, m * c);
        for (int r = 0; r < m; r++) hidden.Slice(rows[start + r] * c, c).CopyTo(h.Slice(r * c, c));
        if (logits.Length < m * v) logits = new float[m * v];
        var z = logits.AsSpan(0, m * v);
        Blas.Sgemm(false, true, m, v, c, 1f, h, c, w.Data.Span, c, 0f, z, v);
        float cap = Head.SoftCap;
        if (cap > 0f)
        {
            for (int i = 0; i < z.Length; i++) z[i] = cap * MathF.Tanh(z[i] / cap);
        }
        double loss = 0;
        for (int r = 0; r < m; r++)
        {
            var row = z.Slice(r * v, v);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            double sum = 0;
            for (int k = 0; k < v; k++) sum += Math.Exp(row[k] - max);
            double lse = max + Math.Log(sum);
            int label = labels[start + r];
            loss += lse - row[label];
            if (!backward) continue;
            for (int k = 0; k < v; k++)
            {
                float p = (float)Math.Exp(row[k] - lse);
                float g = (k == label ? p - 1f : p) * scale / n;
                // Through the soft-cap: d(c·tanh(x/c))/dx = 1 − (z/c)².
                row[k] = cap > 0f ? g * (1f - row[k] / cap * (row[k] / cap)) : g;
            }
        }
        if (!backward) return loss;
        var dh = chunkGrad.AsSpan(0, m * c);
        Blas.Sgemm(false, false, m, c, v, 1f, z, v, w.Data.Span, c, 0f, dh, c);
        for (int r = 0; r < m; r++)
        {
            var dst = hiddenGrad.AsSpan(rows[start + r] * c, c);
            System.Numerics.Tensors.TensorPrimitives.Add(dst, dh.Slice(r * c, c), dst);
        }
        if (w.RequiresGrad) Blas.Sgemm(true, false, v, c, m, 1f, z, v, h, c, 1f, w.Grad.Span, c);
        return loss;
    }

    /// <summary>Selects and corrupts positions in place; returns the original id per position (−1: not selected).</summary>
    private int[] Mask(IReadOnlyList<Tokenizers.Encoding> encodings, TokenBatch tokens, SkaldRandom random, int vocab)
    {
        int[] ids = tokens.Ids;
        var targets = new int[tokens.Count];
        Array.Fill(targets, -1);
        for (int b = 0; b < tokens.Batch; b++)
        {
            var special = encodings[b].SpecialTokensMask;
            for (int t = 0; t < encodings[b].Ids.Length; t++)
            {
                if (special[t] != 0 || random.NextDouble() >= maskProbability) continue;
                int i = b * tokens.Seq + t;
                targets[i] = ids[i];
                double r = allMask ? 0 : random.NextDouble();
                if (r < 0.8) ids[i] = MaskId;
                else if (r < 0.9) ids[i] = random.Next(vocab);
            }
        }
        return targets;
    }
}
