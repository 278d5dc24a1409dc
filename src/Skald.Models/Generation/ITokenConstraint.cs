namespace Skald.Models.Generation;

/// <summary>
/// A decoding row's grammar constraint (<see cref="JsonConstraint{TAutomaton}"/>): masks the tokens that cannot come
/// next, and follows the ones chosen.
/// </summary>
internal interface ITokenConstraint
{
    /// <summary>Whether the text is whole.</summary>
    bool Complete { get; }

    /// <summary>Sets the logits [V] of every token that cannot come next to −∞; false when none can.</summary>
    bool Mask(Span<float> logits);

    /// <summary>Moves past token <paramref name="id"/>, one <see cref="Mask"/> let through; whether the text is now whole.</summary>
    bool Accept(int id);
}
