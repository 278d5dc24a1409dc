using Skald.Models.MaskedLm;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// Masked-language-model pretraining as a loss of the one trainer (<c>loss: {type: mlm, mask_probability: 0.15}</c>),
/// with the model's own masked-LM head (<see cref="MaskedLmHead"/>: BertForMaskedLM's for the BERT family,
/// ModernBertForMaskedLM's for ModernBERT, NorbertForMaskedLM's and GptBertForMaskedLM's for NorBERT3 / NorBERT4, the
/// latter shifted: the output at t − 1 predicts a masked token at t) and the masking of transformers' <c>DataCollatorForLanguageModeling</c>
/// (https://github.com/huggingface/transformers/blob/v4.56.1/src/transformers/data/data_collator.py): each
/// non-special token is selected with probability <c>mask_probability</c>; of the selected, 80% become the mask token, 10% a
/// random token, 10% stay. The loss is the mean cross-entropy over the selected positions. Input: column 0 of the
/// batch (plain text lines). The masks draw from the model's random generator, whose state is checkpointed, so a
/// resumed run masks as the uninterrupted one. The head's parameters are trained and saved with the model in the
/// <c>*ForMaskedLM</c> layout (<see cref="MaskedLmLayout"/>), so the saved folder loads in transformers' masked-LM class;
/// they start from the source checkpoint when it has them (continued pretraining), else from the architecture's
/// initialisation.
/// </summary>
public sealed class MaskedLanguageModelingLoss : ILoss
{
    /// <summary>Key prefix of BERT's head parameters.</summary>
    public const string HeadPrefix = BertMaskedLmHead.Prefix;

    private readonly float maskProbability;
    private readonly Tape tape = new();
    private readonly VocabularyCrossEntropy projection = new();
    private float[] hiddenGrad = [];

    /// <summary>The head over <paramref name="model"/>'s transformer (its source folder's head when present, else a new one from <paramref name="seed"/>).</summary>
    public MaskedLanguageModelingLoss(TrainableEncoder model, float maskProbability = 0.15f, ulong seed = 42)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (maskProbability is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(maskProbability), "mask_probability must be in (0, 1)");
        Head = MaskedLmHead.For(model.Model.Transformer, model.Source.TransformerPath, seed);
        this.maskProbability = maskProbability;
        MaskId = model.Tokenizer.TokenToId("[MASK]") ?? model.Tokenizer.TokenToId("<mask>")
            ?? Head.MaskTokenId
            ?? throw new ArgumentException($"{model.Source.Path}: the tokenizer has no [MASK] token for loss.type mlm");
    }

    /// <summary>The masked-LM head.</summary>
    public MaskedLmHead Head { get; }

    /// <inheritdoc />
    public string Name => "mlm";

    /// <summary>Id of the mask token.</summary>
    public int MaskId { get; }

    /// <summary>The head's parameters (the decoder weight is the word-embedding table).</summary>
    public IReadOnlyList<Parameter> Parameters => Head.Parameters;

    /// <summary>Runs data-parallel: each rank masks the whole batch and trains on its shard (<see cref="MaskedShard"/>).</summary>
    public bool SpansRanks => true;

    /// <inheritdoc />
    public bool TakesGlobalBatch => true;

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        if (encoder.Communicator.Size == 1) return Loss(encoder, batch.Columns[0], backward: true, gradientScale);
        var (tokens, targets) = Mask(encoder, batch.Columns[0]); // the whole batch: the draws of one process
        return MaskedShard.Mean(encoder.Communicator, tokens, targets, (_, g) => g.Count(id => id >= 0),
            (t, g, n) => Sum(encoder, t, g, backward: true, gradientScale / n, out _));
    }

    /// <summary>
    /// Masks <paramref name="texts"/> (drawing from the model's generator), runs encoder and head with the model's
    /// dropout and returns the mean cross-entropy over the selected positions; with <paramref name="backward"/> also
    /// adds <paramref name="gradientScale"/> × its gradient to every parameter's.
    /// </summary>
    public float Loss(TrainableEncoder model, IReadOnlyList<string> texts, bool backward, float gradientScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (tokens, targets) = Mask(model, texts);
        return Loss(model, tokens, targets, backward, gradientScale);
    }

    /// <summary>
    /// Tokenizes, pads and masks <paramref name="texts"/> (drawing from the model's generator, in token order); the
    /// targets [B·T] hold the original id of each position to predict, −1 elsewhere (none when nothing is predictable).
    /// </summary>
    private (TokenBatch Tokens, int[] Targets) Mask(TrainableEncoder model, IReadOnlyList<string> texts)
    {
        var encodings = model.Tokenize(texts);
        var tokens = TokenBatch.Pad(encodings, model.PadId);
        int vocab = model.Config.VocabSize;
        var targets = TokenMasking.Apply(encodings, tokens, model.Random, maskProbability, MaskId, vocab, allMask: false, out int selected);
        for (int i = 0; i < targets.Length; i++)
        {
            if (targets[i] < 0 || Predictable(tokens, i, targets[i])) continue;
            tokens.Ids[i] = targets[i]; // a token the head cannot predict (an excluded id, or nothing before it) is no target
            targets[i] = -1;
            selected--;
        }
        if (selected == 0)
        {
            // Always predict something: the first predictable real token of the first text.
            int t = Enumerable.Range(0, encodings[0].Ids.Length)
                .FirstOrDefault(t => encodings[0].SpecialTokensMask[t] == 0 && Predictable(tokens, t, tokens.Ids[t]), -1);
            if (t < 0) return (tokens, targets);
            targets[t] = tokens.Ids[t];
            tokens.Ids[t] = MaskId;
        }
        return (tokens, targets);
    }

    /// <summary>
    /// The loss for an already masked batch: <paramref name="targets"/> [B·T] holds the original id at each position to
    /// predict and −1 elsewhere (the labels of transformers' masked-LM classes, −100 there). A shifted head
    /// (<see cref="MaskedLmHead.PredictsNextToken"/>) predicts position t from the output at t − 1.
    /// </summary>
    public float Loss(TrainableEncoder model, TokenBatch tokens, int[] targets, bool backward, float gradientScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(targets);
        double sum = Sum(model, tokens, targets, backward, gradientScale, out int n, divide: true);
        return n == 0 ? 0f : (float)(sum / n);
    }

    /// <summary>
    /// Σ of the cross-entropy over the <paramref name="n"/> target positions; with <paramref name="backward"/> adds
    /// <paramref name="gradientScale"/> × its gradient (÷ n when <paramref name="divide"/>: the mean's) to the parameters.
    /// </summary>
    private double Sum(TrainableEncoder model, TokenBatch tokens, int[] targets, bool backward, float gradientScale, out int n,
        bool divide = false)
    {
        var rows = new List<int>();
        var labels = new List<int>();
        for (int i = 0; i < targets.Length; i++)
        {
            if (targets[i] < 0) continue;
            if (!Predictable(tokens, i, targets[i]))
                throw new ArgumentException($"position {i} (id {targets[i]}) cannot be predicted by {Head.Layout.Architecture}'s head");
            rows.Add(Head.PredictsNextToken ? i - 1 : i);
            labels.Add(targets[i]);
        }
        n = rows.Count;
        if (n == 0) return 0;

        model.Configure(tape, record: backward, dropout: backward);
        try
        {
            var x = Ops.SelectRows(tape, model.Model.Transformer.Forward(tape, tokens), [.. rows]); // [m, C]
            var h = Head.Transform(tape, x);                                                      // [m, C]
            var all = Enumerable.Range(0, n).ToArray();
            if (backward && hiddenGrad.Length < h.Length) hiddenGrad = new float[h.Length];
            var grad = backward ? hiddenGrad.AsSpan(0, h.Length) : default;
            grad.Clear();
            double loss = projection.Run(h.Span, h.Cols, all, labels, Head.Decoder, Head.DecoderBias, Head.SoftCap,
                divide ? gradientScale / n : gradientScale, grad, Head.ExcludedIds);
            if (backward)
            {
                tape.Seed(h, grad);
                tape.Backward();
            }
            return loss;
        }
        finally
        {
            tape.Reset();
        }
    }

    /// <summary>Whether the head can predict <paramref name="id"/> at flat position <paramref name="i"/>.</summary>
    private bool Predictable(TokenBatch tokens, int i, int id) =>
        id >= Head.ExcludedIds && (!Head.PredictsNextToken || (i % tokens.Seq > 0 && tokens.Mask[i - 1] != 0));
}
