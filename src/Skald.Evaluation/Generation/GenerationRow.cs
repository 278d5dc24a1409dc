namespace Skald.Evaluation.Generation;

/// <summary>One row of a generation task file: <c>{"id", "prompt", "reference"}</c> and an optional <c>task</c> group.</summary>
/// <param name="Id">Row id (predictions and preferences refer to it).</param>
/// <param name="Prompt">The instruction given to the model.</param>
/// <param name="Reference">The reference answer.</param>
/// <param name="Task">Group the row is reported under (<c>all</c> when the file has none).</param>
public sealed record GenerationRow(string Id, string Prompt, string Reference, string Task);
