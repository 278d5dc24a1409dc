namespace Skald.Models.CrossEncoders;

/// <summary>How a <see cref="CrossEncoder"/> scores pairs (sentence-transformers' CrossEncoder.predict arguments).</summary>
public sealed record CrossEncoderOptions
{
    /// <summary>Pairs per forward pass (32, as sentence-transformers).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Longest input in tokens, special tokens included (default: the model's <see cref="CrossEncoder.MaxLength"/>).</summary>
    public int? MaxLength { get; init; }

    /// <summary>The activation for this call instead of the model's (<see cref="CrossEncoder.Activation"/>).</summary>
    public ScoreActivation? Activation { get; init; }

    /// <summary>Softmax over the labels after the activation (predict's apply_softmax; with one label every score is 1).</summary>
    public bool ApplySoftmax { get; init; }

    /// <summary>
    /// With more pairs than <see cref="BatchSize"/>: after the first batch, whole batches run at once, one on each
    /// thread (<see cref="Skald.Tensors.InFlightBatches"/>, as <see cref="EncodeOptions.BatchesInFlight"/>). The same
    /// scores bit for bit; true by default.
    /// </summary>
    public bool BatchesInFlight { get; init; } = true;

    /// <summary>Called after each batch with (pairs done, pairs in all); with <see cref="BatchesInFlight"/>, one call at a
    /// time, in the order batches end, while the model's passes hold its lock (a callback must not score with the same model).</summary>
    public Action<int, int>? Progress { get; init; }
}
