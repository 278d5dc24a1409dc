namespace Skald.Retrieval.Data;

/// <summary>An (anchor, positive, negative) triplet.</summary>
public readonly record struct Triplet(string Anchor, string Positive, string Negative);
