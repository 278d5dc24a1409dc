using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// An architecture: maps a padded batch of token ids to contextual token states (HF <c>last_hidden_state</c>). The
/// same <see cref="Forward"/> serves inference (a tape that does not record) and training (a recording tape whose
/// <see cref="Tape.Dropout"/> and <see cref="Tape.Random"/> switch dropout on).
/// </summary>
public interface ITransformer
{
    /// <summary>The config it was built from.</summary>
    TransformerConfig Config { get; }

    /// <summary>Width of the token states (C).</summary>
    int HiddenSize { get; }

    /// <summary>The longest sequence its positions allow.</summary>
    int MaxSequenceLength { get; }

    /// <summary>Its parameters under their checkpoint keys (without the architecture's key prefix).</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// Token states [B·T, C] for <paramref name="tokens"/> on <paramref name="tape"/>. On an inference tape that may
    /// skip the padding (<see cref="Ops.RunsUnpadded"/>: not recording, <see cref="Tape.DirectAttention"/>) only the
    /// real tokens are computed and the padding rows come back 0; otherwise the padding rows hold whatever the padded
    /// pass computes there (nothing pooling reads).
    /// </summary>
    Variable Forward(Tape tape, TokenBatch tokens);
}
