using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.MaskedLm;
using Skald.Tensors;
using Skald.Training.Data;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// TSDAE (Wang et al. 2021, https://arxiv.org/abs/2104.06979; sentence-transformers' DenoisingAutoEncoderLoss with
/// tie_encoder_decoder): unsupervised training on plain sentences. Each sentence is damaged (<see cref="WordDeletion"/>,
/// 60% of the words deleted by default), the model embeds the damaged text, and a BERT decoder that shares every
/// weight with the encoder (BertLMHeadModel with add_cross_attention, <see cref="BertModel.ForwardDecoder"/>) must
/// write the original sentence back from that one vector: the input is the original's ids without its last position,
/// the targets its ids from position 1 on, cross-entropy through the masked-LM head (tied to the word embeddings)
/// averaged over the targets that are not padding. The decoder's own parameters, a cross-attention block per layer
/// (new, as transformers initialises them) and the head (the checkpoint's <c>cls.predictions</c> when it has one), train
/// and checkpoint with the model and are not saved with it: the result is the encoder. Input: one text column (the
/// noise is drawn each step from the trainer's generator, so a resumed run damages as the uninterrupted one), or two
/// (damaged, original) taken as they are. BERT, XLM-R and GPT-2 encoders whose embedding width is the hidden size. A
/// GPT-2 decoder is GPT2LMHeadModel with add_cross_attention (<see cref="Gpt2.ForwardDecoder(Tape, TokenBatch, Variable, IReadOnlyList{Gpt2.CrossAttention})"/>,
/// <see cref="Gpt2.CrossAttention"/> blocks, its LM head): tied to a GPT-2 encoder it shares every weight the encoder has
/// (transformers' _tie_encoder_decoder_weights ties the modules both hold by name: wte, wpe, each block's ln_1, attn,
/// ln_2, mlp, and ln_f; the blocks' ln_cross_attn and crossattention, which the encoder lacks, stay the decoder's), so
/// each shared parameter's gradient sums its encoder and decoder uses; untied it is a GPT-2 of its own under
/// <see cref="DecoderPrefix"/>. Its cross-attention blocks are the checkpoint's when it holds them (a decoder saved with
/// add_cross_attention), else new. transformers' _tie_encoder_decoder_weights read at
/// https://github.com/huggingface/transformers/blob/040ba146759afc625c77f49d04982bb54873995f/src/transformers/modeling_utils.py;
/// sentence-transformers' call to it also at 005f3f4f89b37635a47ac0c05a5d1f090390ffef (the same tie).
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/losses/DenoisingAutoEncoderLoss.py
/// </summary>
public sealed class DenoisingAutoEncoderLoss : ILoss
{
    private readonly BertModel? bert;             // the BERT decoder (the encoder's own when tied), or
    private readonly Gpt2? gpt2;                  // a GPT-2 decoder (the encoder's own when tied)
    private readonly Gpt2.CrossAttention[] gptCross = [];
    private readonly Skald.Tokenizers.Tokenizer? decoderTokenizer;
    private readonly int decoderPad, decoderLength;
    private readonly BertCrossAttention[] cross = [];
    private readonly Tape tape = new();
    private readonly VocabularyCrossEntropy projection = new();

    /// <summary>The decoder over <paramref name="model"/>'s BERT (new cross-attention and, unless the checkpoint has one, head from <paramref name="seed"/>).</summary>
    public DenoisingAutoEncoderLoss(TrainableEncoder model, double deletionRatio = 0.6, ulong seed = 42)
        : this(model, deletionRatio, seed, tied: true, decoderPath: null)
    {
    }

    /// <summary>
    /// The decoder over <paramref name="model"/>'s BERT or GPT-2 when <paramref name="tied"/>; else (upstream's
    /// <c>tie_encoder_decoder=False</c>) a BERT or GPT-2 of its own, read from <paramref name="decoderPath"/> (null: the
    /// model's folder) under the names <see cref="DecoderPrefix"/>…, which trains with the encoder and is not saved.
    /// The new cross-attention and, unless the checkpoint has one, head are drawn from <paramref name="seed"/>.
    /// </summary>
    public DenoisingAutoEncoderLoss(TrainableEncoder model, double deletionRatio, ulong seed, bool tied, string? decoderPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (deletionRatio is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(deletionRatio), "deletion_ratio must be in [0, 1)");
        var encoder = model.Model.Transformer;
        if (encoder is not (BertModel or Gpt2))
            throw new ArgumentException(
                $"loss.type tsdae decodes with a decoder tied to the encoder (BertLMHeadModel, GPT2LMHeadModel): it needs a BERT, XLM-R or GPT-2 model, {model.Source.Path} is {model.Config.ModelType}");
        if (model.Dimension != encoder.HiddenSize || model.Model.IsSparse)
            throw new ArgumentException($"loss.type tsdae needs a dense model whose embeddings are as wide as its hidden size ({encoder.HiddenSize}); {model.Source.Path} makes {model.Dimension}-d ones");
        if (tied && decoderPath is not null)
            throw new ArgumentException("loss.decoder is the untied decoder's folder: set loss.tie_encoder_decoder: false to use it");
        DeletionRatio = deletionRatio;
        string headPath = model.Source.TransformerPath;
        ITransformer decoder = encoder;
        (bert, gpt2) = (encoder as BertModel, encoder as Gpt2);
        if (tied && gpt2 is { LmHead: null })
            throw new ArgumentException($"loss.type tsdae: {model.Source.Path} is a GPT-2 without an LM head (lm_head.weight, or tie_word_embeddings)");
        if (!tied)
        {
            string folder = decoderPath ?? model.Source.Path;
            if (!Directory.Exists(folder)) throw new ArgumentException($"{folder}: loss.decoder folder not found");
            var decoderFolder = Skald.Models.Modules.ModelFolder.Read(folder);
            headPath = decoderFolder.TransformerPath;
            decoder = ArchitectureRegistry.Load(headPath, namePrefix: DecoderPrefix);
            (bert, gpt2) = (decoder as BertModel, decoder as Gpt2);
            if (bert is null && gpt2 is null)
                throw new ArgumentException($"loss.decoder: {folder} is not a BERT, XLM-R or GPT-2 model (the decoder is a BertLMHeadModel or GPT2LMHeadModel)");
            if (gpt2 is { LmHead: null })
                throw new ArgumentException($"loss.decoder: {folder} is a GPT-2 without an LM head (lm_head.weight, or tie_word_embeddings)");
            if (decoder.HiddenSize != encoder.HiddenSize)
                throw new ArgumentException($"loss.decoder: {folder} has hidden size {decoder.HiddenSize}; the decoder reads the encoder's {encoder.HiddenSize}-d embedding");
            string tokenizerPath = Path.Combine(headPath, "tokenizer.json");
            if (decoderPath is not null && File.Exists(tokenizerPath)
                && !File.ReadAllBytes(tokenizerPath).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(model.Source.TransformerPath, "tokenizer.json"))))
            {
                // Another tokenizer: the decoder writes the sentence in its own tokens (upstream tokenizes it again).
                decoderTokenizer = Skald.Tokenizers.Tokenizer.FromFile(tokenizerPath);
                decoderPad = decoderTokenizer.PadTokenId ?? decoder.Config.PadTokenId; // GPT-2 has none: padding is never read
                // upstream's retokenize: truncation at the decoder tokenizer's model_max_length (max_length=None), not
                // the encoder's; the text was cut at the encoder's length already (see Retokenized)
                decoderLength = Math.Min(decoderFolder.TokenizerMaxLength() ?? decoder.MaxSequenceLength, decoder.MaxSequenceLength);
            }
            else if (decoder.Config.VocabSize != encoder.Config.VocabSize)
                throw new ArgumentException($"loss.decoder: {folder} has {decoder.Config.VocabSize} tokens and no tokenizer.json of its own; the encoder's tokenization has {encoder.Config.VocabSize}");
        }
        if (gpt2 is not null)
        {
            // Tied (upstream's _tie_encoder_decoder_weights over GPT2Model): the decoder's blocks, wte, wpe and ln_f are
            // the encoder's parameters, and so is its LM head when tied to wte; only the cross-attention is its own.
            (gptCross, var own) = GptCrossAttention(gpt2, headPath, seed, tied ? "" : DecoderPrefix);
            Parameters = [.. tied ? [] : gpt2.Parameters, .. own];
            return;
        }
        Head = new BertMaskedLmHead(headPath, bert!, seed);
        var p = ParameterBuilder.FromInitializer(BertModel.Initializer(bert!.Config, new SkaldRandom(seed ^ 0x75DAE)));
        cross = [.. Enumerable.Range(0, bert.Config.NumLayers).Select(i => new BertCrossAttention(bert.Config, p.Sub("encoder.layer", i).Sub("crossattention")))];
        Parameters = [.. tied ? [] : bert.Parameters, .. p.Parameters, .. Head.Parameters];
    }

    /// <summary>
    /// A GPT-2 decoder's cross-attention blocks and the parameters they add: its own when its checkpoint was saved with
    /// them (add_cross_attention and the keys: already among its parameters); the checkpoint's keys when it holds them
    /// without the flag (upstream sets add_cross_attention before loading, so transformers reads them); else new ones,
    /// initialised as transformers initialises the keys a GPT-2 checkpoint lacks.
    /// </summary>
    private static (Gpt2.CrossAttention[] Blocks, IReadOnlyList<Parameter> Added) GptCrossAttention(Gpt2 gpt2, string folder, ulong seed, string prefix)
    {
        if (gpt2.OwnCrossAttention is { } own) return ([.. own], []);
        using (var weights = Checkpoint.OpenFolder(folder, [.. ArchitectureRegistry.KeyPrefixes(gpt2.Config)]))
        {
            if (weights.Contains("h.0.crossattention.c_attn.weight"))
            {
                var stored = ParameterBuilder.FromCheckpoint(weights, prefix);
                return (gpt2.NewCrossAttention(stored), stored.Parameters);
            }
        }
        var g = ParameterBuilder.FromInitializer(Gpt2.Initializer(gpt2.Config, new SkaldRandom(seed ^ 0x75DAE)), prefix);
        return (gpt2.NewCrossAttention(g), g.Parameters);
    }

    /// <summary>Name prefix of an untied decoder's BERT parameters.</summary>
    public const string DecoderPrefix = "tsdae.decoder/";

    /// <summary>Share of the words deleted from each sentence.</summary>
    public double DeletionRatio { get; }

    /// <summary>
    /// The masked-LM head a BERT decoder predicts through (its decoder weight is the word-embedding table); null for a
    /// GPT-2 decoder, which predicts through its own LM head.
    /// </summary>
    public BertMaskedLmHead? Head { get; }

    /// <inheritdoc />
    public string Name => "tsdae";

    /// <summary>
    /// The cross-attention blocks (<c>encoder.layer.{i}.crossattention.*</c>, a GPT-2's <c>h.{i}.ln_cross_attn.*</c> and
    /// <c>h.{i}.crossattention.*</c>), the head and an untied decoder's own parameters: trained, not saved.
    /// </summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public IReadOnlyList<Parameter> SavedParameters => [];

    /// <summary>The original texts of the last step as the decoder writes them (its tokenizer's ids, padded).</summary>
    public TokenBatch? LastTargets { get; private set; }

    /// <summary>The damaged texts of the last step (for tests and logs).</summary>
    public IReadOnlyList<string> LastDamaged { get; private set; } = [];

    /// <summary>
    /// Runs data-parallel: every rank damages the whole batch with the generator's draws, as one process does, and
    /// trains on its shard of the sentences, dividing by the global number of predicted tokens (<see cref="MaskedShard"/>).
    /// </summary>
    public bool SpansRanks => true;

    /// <inheritdoc />
    public bool TakesGlobalBatch => true;

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        EmbeddingLoss.CheckBatch(batch);
        var originals = batch.Columns[^1];
        var damaged = batch.Columns.Count > 1 ? batch.Columns[0]
            : [.. originals.Select(t => WordDeletion.Delete(t, DeletionRatio, encoder.Random))];
        LastDamaged = damaged;
        var target = decoderTokenizer is null // [B, T] the whole batch, in the decoder's tokens
            ? TokenBatch.Pad(encoder.Prepare(originals).Encodings, encoder.PadId)
            : TokenBatch.Pad(decoderTokenizer.EncodeBatch(Retokenized(encoder, originals), addSpecialTokens: true, maxLength: decoderLength), decoderPad);
        LastTargets = target;
        var comm = encoder.Communicator;
        if (comm.Size == 1)
        {
            int count = Shift(target).Rows.Length;
            return count == 0 ? 0f : (float)(Sum(encoder, target, damaged, gradientScale / count) / count);
        }
        var shard = Skald.Distributed.Shard.Of(target.Batch, comm.Rank, comm.Size);
        var mine = damaged.Skip(shard.Start).Take(shard.Count).ToArray();
        return MaskedShard.Mean(comm, target, NextTokens(target), (_, t) => t.Count(id => id >= 0),
            (rows, _, total) => Sum(encoder, rows, mine, gradientScale / total));
    }

    /// <summary>
    /// The texts a decoder with a tokenizer of its own writes, as upstream's <c>retokenize</c> makes them: the encoder's
    /// tokens of each original (cut at its max_seq_length, as the collator tokenized the column) decoded without special
    /// tokens, with transformers' <c>clean_up_tokenization</c> (tokenization_utils_base.py at
    /// 040ba146759afc625c77f49d04982bb54873995f), so a text longer than the encoder reads is cut where the encoder cut it.
    /// </summary>
    private static string[] Retokenized(TrainableEncoder encoder, IReadOnlyList<string> originals) =>
        [.. encoder.Prepare(originals).Encodings.Select(e => CleanUpTokenization(encoder.Tokenizer.Decode(e.Ids, skipSpecialTokens: true)))];

    private static string CleanUpTokenization(string s) => s.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");

    /// <summary>
    /// Σ over the predicted tokens of <paramref name="target"/>'s rows (each read from the embedding of its
    /// <paramref name="damaged"/> text) of the cross-entropy, its gradients scaled by <paramref name="scale"/>.
    /// </summary>
    private double Sum(TrainableEncoder encoder, TokenBatch target, IReadOnlyList<string> damaged, float scale)
    {
        var (input, rows, labels) = Shift(target);
        if (rows.Length == 0) return 0;
        encoder.Configure(tape, record: true);
        try
        {
            var memory = encoder.Model.Forward(tape, encoder.Prepare(damaged)); // [B, C] sentence embeddings
            double sum;
            Variable h;
            float[] grad;
            if (gpt2 is not null)
            {
                h = Ops.SelectRows(tape, gpt2.ForwardDecoder(tape, input, memory, gptCross), rows); // [m, C] after ln_f
                grad = new float[h.Length];
                sum = projection.Run(h.Span, h.Cols, [.. Enumerable.Range(0, rows.Length)], labels, gpt2.LmHead!.Weight, null, gpt2.LmHead.SoftCap, scale, grad);
            }
            else
            {
                var hidden = bert!.ForwardDecoder(tape, input, memory, cross);     // [B·(T−1), C]
                h = Head!.Transform(tape, Ops.SelectRows(tape, hidden, rows));    // [m, C]
                grad = new float[h.Length];
                sum = projection.Run(h.Span, h.Cols, [.. Enumerable.Range(0, rows.Length)], labels, Head.Decoder, Head.DecoderBias,
                    Head.SoftCap, scale, grad, Head.ExcludedIds);
            }
            tape.Seed(h, grad);
            tape.Backward();
            return sum;
        }
        finally
        {
            tape.Reset();
        }
    }

    /// <summary>Per position of <paramref name="target"/> [B·T], the next real token (what the decoder predicts there), else −1.</summary>
    private static int[] NextTokens(TokenBatch target)
    {
        var next = new int[target.Batch * target.Seq];
        Array.Fill(next, -1);
        for (int r = 0; r < target.Batch; r++)
            for (int i = 0; i + 1 < target.Seq; i++)
                if (target.Mask[r * target.Seq + i + 1] != 0) next[r * target.Seq + i] = target.Ids[r * target.Seq + i + 1];
        return next;
    }

    private static (TokenBatch Input, int[] Rows, int[] Labels) Shift(TokenBatch target)
    {
        int b = target.Batch, t = target.Seq - 1;
        var ids = new int[b * t];
        var mask = new int[b * t];
        var types = new int[b * t];
        var rows = new List<int>();
        var labels = new List<int>();
        for (int r = 0; r < b; r++)
        {
            for (int i = 0; i < t; i++)
            {
                ids[r * t + i] = target.Ids[r * target.Seq + i];
                mask[r * t + i] = target.Mask[r * target.Seq + i];
                types[r * t + i] = target.TypeIds[r * target.Seq + i];
                if (target.Mask[r * target.Seq + i + 1] == 0) continue;
                rows.Add(r * t + i);
                labels.Add(target.Ids[r * target.Seq + i + 1]);
            }
        }
        return (new TokenBatch(ids, mask, types, b, t), [.. rows], [.. labels]);
    }
}
