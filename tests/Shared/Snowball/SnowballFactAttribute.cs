using Skald.Retrieval.Bm25;

namespace Skald.Tests;

/// <summary>
/// A fact that needs libstemmer's Snowball stemmers (<see cref="Snowball.IsAvailable"/>): skipped, with the reason and
/// the package to install, where the library is missing (such a test returned early before, passing without checking).
/// </summary>
internal sealed class SnowballFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason when libstemmer cannot be loaded.</summary>
    public SnowballFactAttribute()
    {
        if (!Snowball.IsAvailable) Skip = "libstemmer is not installed (Debian: apt-get install libstemmer0d): the Snowball stems cannot be made";
    }
}
