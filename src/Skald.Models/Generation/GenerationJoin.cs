namespace Skald.Models.Generation;

/// <summary>
/// A request that joins a batch already decoding (<see cref="ContinuousBatching.Next"/>): its prompt ids, its options
/// (its own length, sampling, seed and stop strings; <see cref="GenerationOptions.EosTokenIds"/> and
/// <see cref="GenerationOptions.UseCache"/> as the batch's) and the input row index that seeds its sampling stream
/// (0: the seed's first stream, as a single prompt samples).
/// </summary>
/// <param name="Prompt">The prompt's token ids.</param>
/// <param name="Options">How to continue it.</param>
/// <param name="RowIndex">Its row index for <see cref="TokenSampler.RowSeed"/>.</param>
public sealed record GenerationJoin(IReadOnlyList<int> Prompt, GenerationOptions Options, int RowIndex = 0);
