using Skald.Data.Translate;

namespace Skald.Cli.Tests;

/// <summary>A fact that needs Apertium's nob-nno pair; skipped with the reason (and the install line) where it is missing.</summary>
public sealed class ApertiumFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason when the pair is not installed.</summary>
    public ApertiumFactAttribute()
    {
        if (!ApertiumTranslator.HasPair("nb", "nn"))
            Skip = "apertium with the nob-nno pair is not installed (Debian: apt-get install apertium apertium-nno-nob)";
    }
}
