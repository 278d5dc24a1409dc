using System.Runtime.CompilerServices;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.MaskedLm;

/// <summary>
/// The masked-LM head the BERT family, DistilBERT, ModernBERT and GTE share, one computation under each one's keys
/// (<see cref="DenseNormKeys"/>): <c>norm(act(x·Wᵀ + b))</c> with a dense W [C, C] (its bias optional), an activation
/// and a LayerNorm (its bias optional), then a decoder tied to the word embeddings plus an optional bias [V]. Read from
/// the checkpoint when it holds the dense weight, else new from the architecture's initializer.
/// </summary>
public abstract class DenseNormMaskedLmHead : MaskedLmHead
{
    private readonly Parameter dense, norm;
    private readonly Parameter? denseBias, normBias, bias;
    private readonly ActivationKind act;
    private readonly float eps;

    /// <summary>
    /// The head over <paramref name="model"/> (hidden size, vocabulary and LayerNorm epsilon from its config) with
    /// <paramref name="decoder"/> as its tied decoder weight, its tensors under <paramref name="keys"/>.
    /// </summary>
    private protected DenseNormMaskedLmHead(string transformerPath, ITransformer model, MaskedLmLayout layout, DenseNormKeys keys,
        ActivationKind act, Parameter decoder, ParameterInitializer initializer)
    {
        ArgumentNullException.ThrowIfNull(transformerPath);
        int c = model.Config.HiddenSize;
        eps = model.Config.LayerNormEps;
        this.act = act;
        Layout = layout;
        Decoder = decoder;
        var builder = Builder(transformerPath, layout.EncoderPrefix, keys.Dense + ".weight", initializer, out var weights);
        using (weights)
        {
            dense = builder.Tensor(keys.Dense + ".weight", c, c);                                  // [C, C]
            denseBias = keys.DenseBias ? builder.Tensor(keys.Dense + ".bias", c) : null;           // [C]
            norm = builder.Tensor(keys.Norm + ".weight", c);                                       // [C]
            normBias = keys.NormBias ? builder.Tensor(keys.Norm + ".bias", c) : null;              // [C]
            bias = keys.DecoderBias is { } key ? builder.Tensor(key, model.Config.VocabSize) : null; // [V]
        }
        Parameters = [.. new[] { dense, denseBias, norm, normBias, bias }.OfType<Parameter>()];
    }

    /// <inheritdoc />
    public sealed override IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public sealed override Parameter Decoder { get; }

    /// <inheritdoc />
    public sealed override Parameter? DecoderBias => bias;

    /// <inheritdoc />
    public sealed override MaskedLmLayout Layout { get; }

    /// <inheritdoc />
    public sealed override Variable Transform(Tape tape, Variable hidden)
    {
        // norm(act(hidden · Wᵀ + b))                                                                     [m, C]
        var h = Ops.Activation(tape, Ops.Linear(tape, hidden, dense, denseBias), act);
        return Ops.LayerNormalization(tape, h, norm, normBias, eps);
    }

    /// <summary><paramref name="model"/>, checked for null before a derived head's arguments read it.</summary>
    private protected static T Checked<T>(T model, [CallerArgumentExpression(nameof(model))] string? name = null) where T : class
    {
        ArgumentNullException.ThrowIfNull(model, name);
        return model;
    }
}
