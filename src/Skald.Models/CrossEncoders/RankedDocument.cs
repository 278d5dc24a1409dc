namespace Skald.Models.CrossEncoders;

/// <summary>One document of a <see cref="CrossEncoder.Rank"/> result: its index in the list given and its score.</summary>
/// <param name="Index">Position of the document in the list that was ranked.</param>
/// <param name="Score">The cross-encoder's score of (query, document), after the model's activation.</param>
public readonly record struct RankedDocument(int Index, float Score);
