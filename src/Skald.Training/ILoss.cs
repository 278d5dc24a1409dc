namespace Skald.Training;

/// <summary>
/// A training objective (sentence-transformers' loss shape): runs the forward pass(es) over a batch, accumulates
/// parameter gradients (multiplied by <c>gradientScale</c>, e.g. 1/accumulation steps) and returns the loss value.
/// </summary>
public interface ILoss
{
    /// <summary>Name as in the config (<c>mnrl</c>, <c>cosent</c>, ...).</summary>
    string Name { get; }

    /// <summary>
    /// Parameters the loss owns and trains with the model (masked-LM's prediction head); the trainer optimises,
    /// clips, checkpoints and saves them with the model's. Embedding losses own none.
    /// </summary>
    IReadOnlyList<Parameter> Parameters => [];

    /// <summary>
    /// Of <see cref="Parameters"/>, those saved with the model (a masked-LM head, in the *ForMaskedLM layout); a
    /// training-only classifier (SoftmaxLoss's) is not. Default: all of them.
    /// </summary>
    IReadOnlyList<Parameter> SavedParameters => Parameters;

    /// <summary>
    /// Whether the loss runs data-parallel (<c>mpirun</c>): given a rank's shard of the batch, it computes the loss of
    /// the whole batch across ranks, so the summed gradients equal one process's. Losses that do not (false) are
    /// refused under mpirun rather than trained with a normalisation that changes with the number of ranks.
    /// </summary>
    bool SpansRanks => false;

    /// <summary>
    /// Under mpirun: whether every rank is given the whole global batch and picks its own shard (masked-LM and MNTP
    /// draw the masks over the whole batch, so each example is masked as in one process; causal-LM SFT pads it as one
    /// process does and divides by its global count of response tokens); false: the trainer gives
    /// each rank its <c>Shard</c> of the rows.
    /// </summary>
    bool TakesGlobalBatch => false;

    /// <summary>Forward + backward over one batch; returns the (unscaled) loss.</summary>
    float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f);
}
