using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Normalizers;

/// <summary>Shared normalization operations.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/tokenizer/normalizer.rs</remarks>
internal static class SimpleNormalizers
{
    /// <summary>HF's NormalizedString::lowercase (Rust char::to_lowercase, multi-char results are insertions).</summary>
    public static void Lowercase(NormalizedString ns)
    {
        bool complex = false;
        var span = ns.Span;
        for (int i = 0; i < span.Length; i++)
        {
            char c = span[i];
            if (c < 0x80) continue;
            if (char.IsSurrogate(c) || UnicodeData.Is(c, UnicodeData.HasLower))
            {
                var low = char.IsSurrogate(c) ? null : UnicodeData.Lower(c);
                if (low is null || low.Length != 1 || low[0] >= 0x10000) { complex = true; break; }
            }
        }
        if (!complex)
        {
            ns.Map(static cp => cp < 0x80 ? (cp is >= 'A' and <= 'Z' ? cp + 32 : cp) : UnicodeData.Lower(cp)?[0] ?? cp);
            return;
        }
        var t = ns.BeginTransform();
        for (int i = 0; i < ns.Length;)
        {
            int cp = ns.CodePointAt(i, out int w);
            i += w;
            if (cp < 0x80)
            {
                t.Emit(cp is >= 'A' and <= 'Z' ? cp + 32 : cp, 0);
                continue;
            }
            var low = UnicodeData.Lower(cp);
            if (low is null)
            {
                t.Emit(cp, 0);
                continue;
            }
            for (int k = 0; k < low.Length; k++) t.Emit(low[k], k == 0 ? 0 : 1);
        }
        t.Commit();
    }
}
