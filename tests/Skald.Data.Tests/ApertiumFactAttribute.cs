using Skald.Data.Translate;

namespace Skald.Data.Tests;

/// <summary>
/// A fact that needs an Apertium pair (Bokmål → Nynorsk unless <see cref="From"/>/<see cref="To"/> say otherwise), or,
/// with <see cref="Absent"/>, one that checks the message for a pair that is NOT installed; skipped with the reason (and
/// the install line) where the machine is the other way.
/// </summary>
public sealed class ApertiumFactAttribute : FactAttribute
{
    /// <summary>Source language code of the pair.</summary>
    public string From { get; set; } = "nb";

    /// <summary>Target language code of the pair.</summary>
    public string To { get; set; } = "nn";

    /// <summary>The test needs the pair to be missing (it checks the "install this" message).</summary>
    public bool Absent { get; set; }

    /// <inheritdoc/>
    public override string? Skip
    {
        get => base.Skip ?? (ApertiumTranslator.HasPair(From, To) == Absent
            ? Absent
                ? $"apertium's {From}-{To} pair is installed here, so its missing-pair message cannot be checked"
                : $"apertium with the {From}-{To} pair is not installed (Debian: apt-get install apertium apertium-nno-nob)"
            : null);
        set => base.Skip = value;
    }
}
