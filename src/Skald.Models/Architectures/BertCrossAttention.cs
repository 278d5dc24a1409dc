using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// One layer's <c>crossattention</c> block of a BERT decoder (transformers' BertLayer with add_cross_attention,
/// https://github.com/huggingface/transformers/blob/v4.46.3/src/transformers/models/bert/modeling_bert.py:
/// BertAttention over encoder_hidden_states), for TSDAE, whose decoder attends to one memory vector per text, the
/// sentence embedding [B, C]: queries from the layer's token states, keys and values from the memory, then
/// BertSelfOutput's dense + dropout + residual + LayerNorm. Keys under <c>encoder.layer.{i}.crossattention.*</c>.
/// </summary>
public sealed class BertCrossAttention
{
    private readonly TransformerConfig cfg;
    private readonly Parameter qWeight, qBias, kWeight, kBias, vWeight, vBias;   // crossattention.self.{query,key,value}: [C, C], [C]
    private readonly Parameter outWeight, outBias, lnWeight, lnBias;            // crossattention.output.{dense [C, C], LayerNorm [C]}

    /// <summary>Builds the block's parameters under <paramref name="p"/> (a layer's <c>crossattention</c> path).</summary>
    public BertCrossAttention(TransformerConfig cfg, ParameterBuilder p)
    {
        this.cfg = cfg;
        int c = cfg.HiddenSize;
        var self = p.Sub("self");
        (qWeight, qBias) = (self.Tensor("query.weight", c, c), self.Tensor("query.bias", c));
        (kWeight, kBias) = (self.Tensor("key.weight", c, c), self.Tensor("key.bias", c));
        (vWeight, vBias) = (self.Tensor("value.weight", c, c), self.Tensor("value.bias", c));
        var output = p.Sub("output");
        (outWeight, outBias) = (output.Tensor("dense.weight", c, c), output.Tensor("dense.bias", c));
        (lnWeight, lnBias) = (output.Tensor("LayerNorm.weight", c), output.Tensor("LayerNorm.bias", c));
    }

    /// <summary>
    /// h [B·T, C] attending to <paramref name="memory"/> [B, C] (one key per sequence) → [B·T, C]. The memory's key
    /// and value are laid under every position of their sequence and all but position 0 masked out, so the softmax
    /// runs over the one memory slot (probability 1) and attention dropout drops that probability per (token, head),
    /// as transformers does; the query and key weights therefore get no gradient there either.
    /// </summary>
    public Variable Forward(Tape tape, Variable h, Variable memory, int batch, int seq)
    {
        float p = tape.Dropout;
        var q = Ops.Linear(tape, h, qWeight, qBias);                                           // [B·T, C]
        var owner = tape.Ints(batch * seq);        // the tape's scratch, returned to it on Reset: nothing allocated a call
        var slotMask = tape.Save(batch * seq);
        var mask = slotMask.Span;
        for (int i = 0; i < owner.Length; i++)
        {
            owner[i] = i / seq;
            mask[i] = i % seq == 0 ? 0f : float.MinValue; // only position 0 holds the memory slot
        }
        var k = Ops.SelectRows(tape, Ops.Linear(tape, memory, kWeight, kBias), owner);         // [B·T, C]
        var v = Ops.SelectRows(tape, Ops.Linear(tape, memory, vWeight, vBias), owner);         // [B·T, C]
        var scoring = new Skald.Tensors.Kernels.AttentionScoring(1f / MathF.Sqrt(cfg.HiddenSize / cfg.NumHeads));
        var ctx = Ops.DecoderAttention(tape, q, k, v, slotMask, batch, seq, cfg.NumHeads, cfg.NumHeads, scoring, p); // [B·T, C]
        return Ops.LinearAddLayerNorm(tape, ctx, outWeight, outBias, h, lnWeight, lnBias, cfg.LayerNormEps, p);
    }
}
