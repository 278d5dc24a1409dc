namespace Skald.Evaluation.Generation;

/// <summary>One human judgement between two systems' answers to a task row: <c>{"id", "a", "b", "winner"}</c>.</summary>
/// <param name="Id">The task row.</param>
/// <param name="A">First system's name.</param>
/// <param name="B">Second system's name.</param>
/// <param name="Winner"><c>a</c>, <c>b</c> (or the system's name) or <c>tie</c>.</param>
public sealed record HumanPreference(string Id, string A, string B, string Winner);
