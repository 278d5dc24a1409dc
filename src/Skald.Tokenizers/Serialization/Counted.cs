using System.Globalization;

namespace Skald.Tokenizers.Serialization;

/// <summary>
/// A count and its noun for user-facing lines: "1 list", "2 lists", "0 lists" (English: only exactly one is singular).
/// The one definition of singular/plural wording, kept beside <see cref="JsonFile"/> in the lowest assembly of user
/// wording (Skald.Hub, Skald.Models and everything above them import it), so that all of them share it.
/// </summary>
public static class Counted
{
    /// <summary>
    /// "<paramref name="n"/> <paramref name="singular"/>" when n is 1, else "n <paramref name="plural"/>" (by default
    /// the singular with an s: give the plural of "query" or "entry").
    /// </summary>
    public static string Of(long n, string singular, string? plural = null)
    {
        ArgumentNullException.ThrowIfNull(singular);
        return string.Create(CultureInfo.InvariantCulture, $"{n} {(n == 1 ? singular : plural ?? singular + "s")}");
    }
}
