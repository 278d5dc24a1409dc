using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's Strip normalizer: removes leading and/or trailing whitespace.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/normalizers/strip.rs</remarks>
internal sealed record StripNormalizer(bool Left, bool Right) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns)
    {
        var cps = new List<int>(ns.Length);
        for (int i = 0; i < ns.Length;)
        {
            cps.Add(ns.CodePointAt(i, out int w));
            i += w;
        }
        int lead = 0, trail = 0;
        if (Left) while (lead < cps.Count && UnicodeData.IsWhitespace(cps[lead])) lead++;
        if (Right) while (trail < cps.Count - lead && UnicodeData.IsWhitespace(cps[cps.Count - 1 - trail])) trail++;
        if (lead == 0 && trail == 0) return;
        var t = ns.BeginTransform(lead);
        for (int i = lead; i < cps.Count - trail; i++) t.Emit(cps[i], 0);
        t.Commit();
    }
}
