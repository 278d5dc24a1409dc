using Skald.Models.Architectures;
using Skald.Tensors.Autograd;

namespace Skald.Models.CrossEncoders;

/// <summary>The passes a <see cref="CrossEncoder"/> runs for inference on its own tape, which does not record.</summary>
public sealed partial class CrossEncoder
{
    /// <summary>For tests: the tape the inference passes run on (its <c>LayerStarting</c> hook).</summary>
    internal Tape InferenceTape => inference;

    // One batch's inference pass (under gate), stopped before the next layer once `cancellationToken` is cancelled;
    // the next pass resets the tape, so a cancelled one leaves nothing behind.
    private Variable Infer(TokenBatch tokens, CancellationToken cancellationToken)
    {
        using (inference.Pass(cancellationToken)) return Forward(inference, tokens);
    }
}
