namespace Skald.Retrieval.Mining;

/// <summary>Two texts found similar by <see cref="ParaphraseMining"/>: their cosine similarity and their indices (<see cref="First"/> &lt; <see cref="Second"/>).</summary>
/// <param name="Score">Cosine similarity.</param>
/// <param name="First">The lower index.</param>
/// <param name="Second">The higher index.</param>
public readonly record struct ParaphrasePair(float Score, int First, int Second);
