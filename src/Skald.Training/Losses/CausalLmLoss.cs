using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// Supervised fine-tuning of a decoder (<c>loss: {type: causal_lm}</c>): each row is (prompt, response) text
/// (<see cref="Data.Instructions.InstructionDatasetReader"/>); the input is the prompt's ids (after the tokenizer's
/// leading special tokens such as BOS) followed by the response's ids and EOS, the labels are −100 on the prompt and
/// the ids on the response and EOS, and the loss is LlamaForCausalLM's: the label of position t + 1 is predicted from
/// the logits at t, cross-entropy averaged over the labelled positions of the batch (ForCausalLMLoss with
/// ignore_index −100, reduction mean). Attention is causal. A sequence longer than <see cref="MaxLength"/> keeps its
/// first tokens (TRL's truncation_mode keep_start). The vocabulary projection runs outside the tape in chunks
/// (<see cref="VocabularyCrossEntropy"/>), so [B, T, V] logits never exist.
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/transformers/blob/002272831fba584eb30dca9729c1be456836960a/src/transformers/loss/loss_utils.py
/// (ForCausalLMLoss, fixed_cross_entropy) and models/llama/modeling_llama.py (LlamaForCausalLM.forward).</remarks>
public sealed class CausalLmLoss : ILoss
{
    /// <summary>The label of a position that is not trained on (transformers' ignore_index).</summary>
    public const int Ignore = -100;

    private readonly Tape tape = new();
    private readonly VocabularyCrossEntropy projection = new();
    private readonly Tokenizers.Tokenizer tokenizer;
    private readonly int[] prefix;
    private float[] hiddenGrad = [];

    /// <summary>
    /// A loss for <paramref name="model"/> (a decoder with an LM head) over sequences of at most
    /// <paramref name="maxLength"/> tokens; <paramref name="addSpecialPrefix"/>: start each prompt with the tokens the
    /// tokenizer puts before a text (BOS), off when a chat template writes them itself.
    /// </summary>
    public CausalLmLoss(TrainableEncoder model, int maxLength, bool addSpecialPrefix = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Model.Transformer is not IDecoder { LmHead: not null } decoder)
            throw new ArgumentException($"loss.type causal_lm needs a decoder with an LM head; {model.Source.Path} is {model.Config.ModelType}" +
                (model.Model.Transformer is IDecoder ? " without lm_head.weight" : ""));
        if (decoder.AttentionMode != AttentionMode.Causal)
            throw new ArgumentException($"loss.type causal_lm needs causal attention; {model.Source.Path} is set to {decoder.AttentionMode} (model.attention)");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        Head = decoder.LmHead!;
        MaxLength = maxLength;
        tokenizer = model.Tokenizer;
        prefix = addSpecialPrefix ? SpecialPrefix(tokenizer) : [];
        EosId = FindEos(model);
    }

    /// <inheritdoc />
    public string Name => "causal_lm";

    /// <summary>The decoder's LM head.</summary>
    public LmHead Head { get; }

    /// <summary>Longest sequence (prompt + response + EOS) in tokens; longer ones are cut at the end.</summary>
    public int MaxLength { get; }

    /// <summary>The end-of-sequence id appended to every response (config.json's <c>eos_token_id</c>, its first when a list).</summary>
    public int EosId { get; }

    /// <summary>
    /// The ids and labels of one (prompt, response) row, cut to <see cref="MaxLength"/>; <paramref name="truncated"/>
    /// tells whether anything was cut.
    /// </summary>
    public (int[] Ids, int[] Labels) Sequence(string prompt, string response, out bool truncated)
    {
        var p = tokenizer.Encode(prompt, addSpecialTokens: false).Ids;
        var r = tokenizer.Encode(response, addSpecialTokens: false).Ids;
        int total = prefix.Length + p.Length + r.Length + 1;
        int n = Math.Min(total, MaxLength);
        truncated = total > MaxLength;
        var ids = new int[n];
        var labels = new int[n];
        int k = 0;
        void Put(int id, bool learn)
        {
            if (k >= n) return;
            ids[k] = id;
            labels[k++] = learn ? id : Ignore;
        }
        foreach (int id in prefix) Put(id, false);
        foreach (int id in p) Put(id, false);
        foreach (int id in r) Put(id, true);
        Put(EosId, true);
        return (ids, labels);
    }

    /// <summary>A right-padded batch of rows and its labels [B·T] (−100 on prompts and padding).</summary>
    public (TokenBatch Tokens, int[] Labels) Batch(IReadOnlyList<string> prompts, IReadOnlyList<string> responses)
    {
        var rows = new (int[] Ids, int[] Labels)[prompts.Count];
        for (int i = 0; i < rows.Length; i++) rows[i] = Sequence(prompts[i], responses[i], out _);
        int seq = rows.Max(r => r.Ids.Length), batch = rows.Length;
        var ids = new int[batch * seq];
        var mask = new int[batch * seq];
        var labels = new int[batch * seq];
        Array.Fill(ids, EosId);
        Array.Fill(labels, Ignore);
        for (int b = 0; b < batch; b++)
        {
            rows[b].Ids.CopyTo(ids, b * seq);
            rows[b].Labels.CopyTo(labels, b * seq);
            mask.AsSpan(b * seq, rows[b].Ids.Length).Fill(1);
        }
        return (new TokenBatch(ids, mask, new int[batch * seq], batch, seq), labels);
    }

    /// <summary>
    /// Runs data-parallel (<c>mpirun</c>): every rank builds the whole global batch, keeps its rows and divides by the
    /// global count of response tokens (<see cref="MaskedShard"/>), so the loss and the summed gradients are one process's.
    /// </summary>
    public bool SpansRanks => true;

    /// <inheritdoc />
    public bool TakesGlobalBatch => true;

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        if (batch.Columns.Count < 2) throw new ArgumentException("causal_lm batches have (prompt, response) columns");
        var (tokens, labels) = Batch(batch.Columns[0], batch.Columns[1]); // the whole batch, padded as one process pads it
        if (encoder.Communicator.Size == 1) return Loss(encoder, tokens, labels, backward: true, gradientScale);
        return MaskedShard.Mean(encoder.Communicator, tokens, labels, Count,
            (t, l, n) => Sum(encoder, t, l, backward: true, gradientScale / n));
    }

    /// <summary>
    /// The mean cross-entropy of <paramref name="tokens"/> against <paramref name="labels"/> [B·T] (transformers'
    /// labels: the id to predict at that position, −100 for none; position t + 1 is predicted from t); with
    /// <paramref name="backward"/> it adds <paramref name="gradientScale"/> × its gradient to every parameter that
    /// requires one. Dropout is the model's when <paramref name="backward"/>. No labelled position: 0.
    /// </summary>
    public float Loss(TrainableEncoder model, TokenBatch tokens, int[] labels, bool backward, float gradientScale = 1f)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != tokens.Count) throw new ArgumentException("one label per token", nameof(labels));
        int n = Count(tokens, labels);
        return n == 0 ? 0f : (float)(Sum(model, tokens, labels, backward, gradientScale / n) / n);
    }

    /// <summary>The number of labelled positions that are predicted (all but a row's first): the mean's divisor.</summary>
    private static int Count(TokenBatch tokens, int[] labels)
    {
        int n = 0;
        for (int b = 0; b < tokens.Batch; b++)
        {
            for (int t = 1; t < tokens.Seq; t++)
            {
                if (labels[b * tokens.Seq + t] >= 0) n++;
            }
        }
        return n;
    }

    /// <summary>
    /// Σ of the cross-entropy over the labelled positions of <paramref name="tokens"/>; with <paramref name="backward"/>
    /// adds <paramref name="scale"/> × its gradient (the caller's 1 / divisor included) to the parameters.
    /// </summary>
    private double Sum(TrainableEncoder model, TokenBatch tokens, int[] labels, bool backward, float scale)
    {
        var rows = new List<int>();
        var targets = new List<int>();
        for (int b = 0; b < tokens.Batch; b++)
        {
            for (int t = 0; t + 1 < tokens.Seq; t++)
            {
                int i = b * tokens.Seq + t;
                if (labels[i + 1] < 0) continue;
                rows.Add(i);
                targets.Add(labels[i + 1]);
            }
        }
        if (rows.Count == 0) return 0;

        model.Configure(tape, record: backward, dropout: backward);
        try
        {
            var hidden = model.Model.Transformer.Forward(tape, tokens); // [B·T, C]
            if (backward)
            {
                if (hiddenGrad.Length < hidden.Length) hiddenGrad = new float[hidden.Length];
                hiddenGrad.AsSpan(0, hidden.Length).Clear();
            }
            double loss = projection.Run(hidden.Span, hidden.Cols, rows, targets, Head.Weight, null, Head.SoftCap, scale,
                backward ? hiddenGrad.AsSpan(0, hidden.Length) : default);
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

    /// <summary>The ids the tokenizer's post-processor puts before a text (BOS for Llama; none for Qwen2).</summary>
    private static int[] SpecialPrefix(Tokenizers.Tokenizer tokenizer)
    {
        const string probe = "a";
        var with = tokenizer.Encode(probe, addSpecialTokens: true).Ids;
        var without = tokenizer.Encode(probe, addSpecialTokens: false).Ids;
        for (int s = 0; s + without.Length <= with.Length; s++)
        {
            if (with.AsSpan(s, without.Length).SequenceEqual(without)) return with[..s];
        }
        return [];
    }

    private static int FindEos(TrainableEncoder model)
    {
        string config = Path.Combine(model.Source.TransformerPath, "config.json");
        if (File.Exists(config))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(config));
                if (doc.RootElement.TryGetProperty("eos_token_id", out var e))
                {
                    if (e.ValueKind == JsonValueKind.Number) return e.GetInt32();
                    if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0) return e[0].GetInt32();
                }
            }
            catch (Exception ex) when (ex is JsonException or IOException or FormatException or InvalidOperationException)
            {
                // fall back to the tokenizer's tokens below
            }
        }
        foreach (var token in new[] { "</s>", "<|endoftext|>", "<|end_of_text|>", "<eos>", "<|im_end|>" })
        {
            if (model.Tokenizer.TokenToId(token) is { } id) return id;
        }
        throw new ArgumentException($"{config}: no eos_token_id, and the tokenizer has no known end-of-sequence token, for loss.type causal_lm");
    }
}
