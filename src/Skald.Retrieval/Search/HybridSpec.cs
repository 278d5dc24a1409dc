using System.Globalization;

namespace Skald.Retrieval.Search;

/// <summary>
/// A hybrid model reference as <c>skald evaluate</c>, <c>benchmark</c> and pipelines accept it: <c>hybrid:DIR</c>
/// (the default fusion), or the fusion named in the prefix: <c>hybrid-rrf:DIR</c>, <c>hybrid-rerank:DIR</c>,
/// <c>hybrid-convex:DIR</c>, <c>hybrid-convex-0.3:DIR</c> (α = 0.3), <c>hybrid-convex-zscore-0.3:DIR</c>.
/// </summary>
/// <param name="Prefix">The text before the first colon (e.g. <c>hybrid-convex-0.3</c>).</param>
/// <param name="Model">The dense model reference after it.</param>
/// <param name="Options">The fusion the prefix names.</param>
public sealed record HybridSpec(string Prefix, string Model, FusionOptions Options)
{
    /// <summary>Parses <paramref name="spec"/>; null when it is not a hybrid reference; a bad prefix throws <see cref="EvaluationException"/>.</summary>
    public static HybridSpec? TryParse(string spec)
    {
        int colon = spec.IndexOf(':');
        if (colon < 0 || !spec.StartsWith("hybrid", StringComparison.OrdinalIgnoreCase)) return null;
        string prefix = spec[..colon];
        var parts = prefix.Split('-');
        if (!parts[0].Equals("hybrid", StringComparison.OrdinalIgnoreCase)) return null;
        var options = FusionOptions.Default;
        if (parts.Length > 1)
        {
            var mode = FusionOptions.ParseMode(parts[1]) ?? throw Bad(prefix);
            options = options with { Mode = mode };
            foreach (var part in parts.Skip(2))
            {
                if (mode != HybridMode.Convex) throw Bad(prefix);
                if (FusionOptions.ParseNormalization(part) is { } n) options = options with { Normalization = n };
                else if (double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double alpha) && alpha is >= 0 and <= 1)
                    options = options with { Alpha = alpha };
                else throw Bad(prefix);
            }
        }
        return new HybridSpec(prefix, spec[(colon + 1)..], options);
    }

    private static EvaluationException Bad(string prefix) => new(
        $"{prefix}: not a hybrid model reference (hybrid:DIR, hybrid-rrf:DIR, hybrid-rerank:DIR, hybrid-convex[-minmax|-zscore][-ALPHA]:DIR)");
}
