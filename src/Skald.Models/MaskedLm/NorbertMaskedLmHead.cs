using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.MaskedLm;

/// <summary>
/// NorbertForMaskedLM's head (NorBERT3 / LTG-BERT), from
/// https://github.com/ltgoslo/norbench/blob/4c61546a884e9f337b790db0192ca9bca4c6fe9f/evaluation_scripts/modeling_norbert.py
/// (<c>MaskClassifier</c>): <c>classifier.nonlinearity</c> = affine-free LayerNorm → Linear [C, C] with bias (key
/// <c>.1</c>) → exact GELU → affine-free LayerNorm → dropout → Linear C → V (key <c>.5</c>: weight tied to
/// <c>embedding.word_embedding.weight</c> and not read, bias [V] stored). The class sets the logits of ids 0..106 (the
/// published tokenizers' special tokens, up to [MASK_99]) to −∞ before its cross-entropy, so those ids leave the softmax
/// (<see cref="ExcludedIds"/>; a selected token with such an id would cost ∞ upstream and is no target here). Keys at the
/// checkpoint's top level, as the encoder's; a folder without the head gets MaskClassifier.initialize's values (the
/// dense weight trunc_normal(0, σ² = 2 / (5C), ±2σ), biases 0) from <see cref="Norbert.Initializer"/>.
/// </summary>
public sealed class NorbertMaskedLmHead : MaskedLmHead
{
    /// <summary>Logits of ids below this are −∞ in NorbertForMaskedLM.</summary>
    public const int SpecialIds = 107;

    private readonly Parameter dense, denseBias, bias;
    private readonly float[] ones, zeros;
    private readonly float eps;

    /// <summary>The head over <paramref name="norbert"/> (the source folder's when present, else new from <paramref name="seed"/>).</summary>
    public NorbertMaskedLmHead(string transformerPath, Norbert norbert, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(transformerPath);
        ArgumentNullException.ThrowIfNull(norbert);
        var cfg = norbert.Config;
        int c = cfg.HiddenSize;
        eps = cfg.LayerNormEps;
        ones = [.. Enumerable.Repeat(1f, c)];
        zeros = new float[c];
        Decoder = norbert.WordEmbeddings;
        var builder = Builder(transformerPath, "norbert3.", "classifier.nonlinearity.1.weight", Norbert.Initializer(cfg, new SkaldRandom(seed)), out var weights);
        using (weights)
        {
            var head = builder.Sub("classifier.nonlinearity");
            dense = head.Tensor("1.weight", c, c);     // [C, C]
            denseBias = head.Tensor("1.bias", c);      // [C]
            bias = head.Tensor("5.bias", cfg.VocabSize); // [V]
        }
        Parameters = [dense, denseBias, bias];
    }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public override Parameter Decoder { get; }

    /// <inheritdoc />
    public override Parameter? DecoderBias => bias;

    /// <inheritdoc />
    public override MaskedLmLayout Layout => MaskedLmLayout.Norbert;

    /// <inheritdoc />
    public override int ExcludedIds => Math.Min(SpecialIds, Decoder.Shape[0]);

    /// <inheritdoc />
    public override Variable Transform(Tape tape, Variable hidden)
    {
        var h = Ops.PlainLayerNorm(tape, hidden, ones, zeros, eps);                     // [m, C]
        h = Ops.Activation(tape, Ops.Linear(tape, h, dense, denseBias), ActivationKind.Gelu);
        h = Ops.PlainLayerNorm(tape, h, ones, zeros, eps);
        return Ops.Dropout(tape, h, tape.Dropout);
    }
}
