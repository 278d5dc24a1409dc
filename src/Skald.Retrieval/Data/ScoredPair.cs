namespace Skald.Retrieval.Data;

/// <summary>A scored sentence pair (STS: gold similarity; pair classification: label 0/1).</summary>
public readonly record struct ScoredPair(string First, string Second, double Score);
