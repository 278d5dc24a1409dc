namespace Skald.Training.Trainer;

/// <summary>A checkpoint the trainer has just written (<see cref="TrainerSetup.CheckpointSaved"/>).</summary>
/// <param name="Step">The optimiser step it holds.</param>
/// <param name="Folder">Its folder (<c>checkpoints/step-N</c>; pruned later by save_total_limit).</param>
/// <param name="SaveModel">
/// Writes the model as it is now, with a model card, to a folder (as the final model is written), for pushing it as
/// transformers' <c>hub_strategy="every_save"</c> does; null when saving it would change the model being trained
/// (LoRA saved merged: the adapters would be merged away).
/// </param>
public sealed record SavedCheckpoint(int Step, string Folder, Action<string>? SaveModel);
