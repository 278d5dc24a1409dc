namespace Skald.Models.Generation;

/// <summary>Why a sequence stopped growing (OpenAI's finish_reason words, plus <see cref="Eos"/>).</summary>
public enum FinishReason
{
    /// <summary>A stop string appeared in the generated text.</summary>
    Stop,
    /// <summary>The maximum number of new tokens (or the model's context) was reached.</summary>
    Length,
    /// <summary>The model produced an end-of-sequence token.</summary>
    Eos,
}
