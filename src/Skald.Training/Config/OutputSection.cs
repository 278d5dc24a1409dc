namespace Skald.Training.Config;

/// <summary><c>output</c>: where results go.</summary>
public sealed record OutputSection
{
    /// <summary>Output folder: the final model, metrics.jsonl, tensorboard/, checkpoints/.</summary>
    public required string Dir { get; init; }

    /// <summary>Write a checkpoint every N steps (0: none).</summary>
    public int SaveSteps { get; init; } = 500;

    /// <summary>
    /// Checkpoints to keep (the newest); <see cref="int.MaxValue"/> keeps every one (<c>save_total_limit: null</c>, as
    /// transformers' None does). An absent key keeps 2.
    /// </summary>
    public int SaveTotalLimit { get; init; } = 2;

    /// <summary>Continue from the newest checkpoint in <see cref="Dir"/> when one exists.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>Write TensorBoard event files.</summary>
    public bool Tensorboard { get; init; } = true;

    /// <summary>Name used in the model card (null: the output folder's name).</summary>
    public string? ModelName { get; init; }

    /// <summary>
    /// Upload the final model to the hub repository <see cref="HubModelId"/> once training ends (transformers'
    /// <c>push_to_hub</c>; the CLI checks for a token before training starts).
    /// </summary>
    public bool PushToHub { get; init; }

    /// <summary>The hub repository <c>org/name</c> the final model goes to (transformers' <c>hub_model_id</c>); needed with <see cref="PushToHub"/>.</summary>
    public string? HubModelId { get; init; }

    /// <summary>Create that repository private when it does not exist yet (transformers' <c>hub_private_repo</c>).</summary>
    public bool HubPrivateRepo { get; init; }

    /// <summary>
    /// What goes to the hub during training besides the final model (transformers' <c>hub_strategy</c>, its default
    /// too): <c>every_save</c> (the model as it is at each checkpoint, to the repository's root, in the background),
    /// <c>end</c> (only the final model), <c>checkpoint</c> (every_save, and each checkpoint to <c>last-checkpoint/</c>,
    /// so a run started anywhere with the same output settings resumes from it) or <c>all_checkpoints</c> (every_save,
    /// and each checkpoint to <c>checkpoints/step-N/</c>).
    /// </summary>
    public string HubStrategy { get; init; } = "every_save";
}
