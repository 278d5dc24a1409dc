using System.Numerics.Tensors;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// Masked-language-model pretraining as a loss of the one trainer (<c>loss: {type: mlm, mask_probability: 0.15}</c>),
/// with BertForMaskedLM's head
/// (https://github.com/huggingface/transformers/blob/v4.56.1/src/transformers/models/bert/modeling_bert.py:
/// <c>BertPredictionHeadTransform</c> = dense [C, C] + activation + LayerNorm, then a decoder tied to the word
/// embeddings plus a bias [V]) and the masking of transformers' <c>DataCollatorForLanguageModeling</c>
/// (https://github.com/huggingface/transformers/blob/v4.56.1/src/transformers/data/data_collator.py): each
/// non-special token is selected with probability <c>mask_probability</c>; of the selected, 80% become [MASK], 10% a
/// random token, 10% stay. The loss is the mean cross-entropy over the selected positions. Input: column 0 of the
/// batch (plain text lines). The masks draw from the model's random generator, whose state is checkpointed, so a
/// resumed run masks as the uninterrupted one. The head's parameters (<c>cls.predictions.*</c>) are trained and saved
/// with the model, so the saved folder loads in transformers' <c>BertForMaskedLM</c>; they start from the source
/// checkpoint when it has them (continued pretraining), else from BERT's initialisation.
/// </summary>
public sealed class MaskedLanguageModelingLoss : ILoss
{
    /// <summary>Key prefix of the head's parameters.</summary>
    public const string HeadPrefix = "cls.predictions";

    private readonly Parameter dense, denseBias, lnWeight, lnBias, decoderBias;
    private readonly float maskProbability;
    private readonly Tape tape = new();
    private float[] logitGrad = [];

    /// <summary>The head over <paramref name="model"/>'s BERT (its source folder's head when present, else a new one from <paramref name="seed"/>).</summary>
    public MaskedLanguageModelingLoss(TrainableEncoder model, float maskProbability = 0.15f, ulong seed = 42)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Model.Transformer is not BertModel || model.Config.ModelType != "bert")
            throw new ArgumentException($"loss.type mlm needs a BERT model (model_type bert); {model.Source.Path} is {model.Config.ModelType}");
        if (maskProbability is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(maskProbability), "mask_probability must be in (0, 1)");
        this.maskProbability = maskProbability;
        MaskId = model.Tokenizer.TokenToId("[MASK]") ?? model.Tokenizer.TokenToId("<mask>")
            ?? throw new ArgumentException($"{model.Source.Path}: the tokenizer has no [MASK] token for loss.type mlm");
        int c = model.Config.HiddenSize, vocab = model.Config.VocabSize;
        using var weights = Checkpoint.OpenFolder(model.Source.TransformerPath, "bert.");
        var head = (weights.Contains(HeadPrefix + ".transform.dense.weight")
            ? ParameterBuilder.FromCheckpoint(weights)
            : ParameterBuilder.FromInitializer(BertModel.Initializer(model.Config, new SkaldRandom(seed)))).Sub(HeadPrefix);
        var transform = head.Sub("transform");
        dense = transform.Tensor("dense.weight", c, c);
        denseBias = transform.Tensor("dense.bias", c);
        lnWeight = transform.Tensor("LayerNorm.weight", c);
        lnBias = transform.Tensor("LayerNorm.bias", c);
        decoderBias = head.Tensor("bias", vocab);
    }

    /// <inheritdoc />
    public string Name => "mlm";

    /// <summary>Id of the mask token.</summary>
    public int MaskId { get; }

    /// <summary>The head's parameters (<c>cls.predictions.*</c>; the decoder weight is the word-embedding table).</summary>
    public IReadOnlyList<Parameter> Parameters => [dense, denseBias, lnWeight, lnBias, decoderBias];

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f) =>
        Loss(EmbeddingLoss.AsEncoder(model), batch.Columns[0], backward: true, gradientScale);

    /// <summary>
    /// Masks <paramref name="texts"/> (drawing from the model's generator), runs encoder and head with the model's
    /// dropout and returns the mean cross-entropy over the selected positions; with <paramref name="backward"/> also
    /// adds <paramref name="gradientScale"/> × its gradient to every parameter's.
    /// </summary>
    public float Loss(TrainableEncoder model, IReadOnlyList<string> texts, bool backward, float gradientScale = 1f)
    {
        var encodings = model.Tokenize(texts);
        var tokens = TokenBatch.Pad(encodings, model.PadId);
        int vocab = model.Config.VocabSize, n = tokens.Count;
        var targets = Mask(encodings, tokens, model.Random, vocab, out int selected);
        if (selected == 0) return 0f;

        var word = ((BertModel)model.Model.Transformer).WordEmbeddings; // [V, C], the tied decoder
        tape.Reset();
        tape.Recording = backward;
        tape.Dropout = model.Dropout;
        tape.Training = backward;
        tape.Random = model.Random;
        try
        {
            var x = model.Model.Transformer.Forward(tape, tokens); // [N, C]
            var h = Ops.Activation(tape, Ops.Linear(tape, x, dense, denseBias), ActivationKind.Gelu);
            h = Ops.LayerNormalization(tape, h, lnWeight, lnBias, model.Config.LayerNormEps);
            var logits = Ops.Linear(tape, h, word, decoderBias); // [N, V]
            if (backward && logitGrad.Length < n * vocab) logitGrad = new float[n * vocab];
            double loss = 0;
            var l = logits.Span;
            for (int i = 0; i < n; i++)
            {
                var g = backward ? logitGrad.AsSpan(i * vocab, vocab) : default;
                if (targets[i] < 0)
                {
                    g.Clear();
                    continue;
                }
                // loss_i = logsumexp(row) − row[target];  d/d row = softmax(row) − onehot(target), over the selected count.
                var row = l.Slice(i * vocab, vocab);
                float max = TensorPrimitives.Max(row);
                double sum = 0;
                for (int v = 0; v < vocab; v++) sum += Math.Exp(row[v] - max);
                double lse = max + Math.Log(sum);
                loss += lse - row[targets[i]];
                if (!backward) continue;
                for (int v = 0; v < vocab; v++) g[v] = (float)(Math.Exp(row[v] - lse) / selected);
                g[targets[i]] -= 1f / selected;
            }
            if (backward)
            {
                tape.Seed(logits, logitGrad.AsSpan(0, n * vocab), gradientScale);
                tape.Backward();
            }
            return (float)(loss / selected);
        }
        finally
        {
            tape.Reset();
        }
    }

    /// <summary>Selects and corrupts positions in place in <paramref name="tokens"/>; returns the target id per position (−1: not selected).</summary>
    private int[] Mask(IReadOnlyList<Tokenizers.Encoding> encodings, TokenBatch tokens, SkaldRandom random, int vocab, out int selected)
    {
        int[] ids = tokens.Ids;
        var targets = new int[tokens.Count];
        Array.Fill(targets, -1);
        int count = 0;
        for (int b = 0; b < tokens.Batch; b++)
        {
            var special = encodings[b].SpecialTokensMask;
            for (int t = 0; t < encodings[b].Ids.Length; t++)
            {
                if (special[t] == 0 && random.NextDouble() < maskProbability) Select(b * tokens.Seq + t);
            }
        }
        if (count == 0)
        {
            // Always predict something: the first real token of the first text.
            int t = Array.IndexOf(encodings[0].SpecialTokensMask, 0);
            if (t >= 0) Select(t);
        }
        selected = count;
        return targets;

        void Select(int i)
        {
            targets[i] = ids[i];
            count++;
            double r = random.NextDouble();
            if (r < 0.8) ids[i] = MaskId;
            else if (r < 0.9) ids[i] = random.Next(vocab);
        }
    }
}
