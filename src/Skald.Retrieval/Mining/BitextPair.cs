namespace Skald.Retrieval.Mining;

/// <summary>A source text and the target text <see cref="BitextMining"/> paired with it, with their margin score (above 1: closer than their neighbourhoods).</summary>
/// <param name="Score">The ratio margin: cos(x, y) over the mean of the two sides' k-nearest similarities.</param>
/// <param name="Source">The source text's index.</param>
/// <param name="Target">The target text's index.</param>
public readonly record struct BitextPair(double Score, int Source, int Target);
