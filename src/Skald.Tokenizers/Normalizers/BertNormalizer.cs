using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's BertNormalizer: clean_text, handle_chinese_chars, strip_accents (null follows lowercase), lowercase.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/normalizers/bert.rs</remarks>
internal sealed record BertNormalizer(bool CleanText, bool HandleChineseChars, bool? StripAccents, bool Lowercase) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns)
    {
        if (CleanText) DoCleanText(ns);
        if (HandleChineseChars) DoChineseChars(ns);
        if (StripAccents ?? Lowercase)
        {
            UnicodeNormalization.Apply(ns, NormalizationKind.Nfd);
            ns.Filter(static cp => !UnicodeData.Is(cp, UnicodeData.NonspacingMark));
        }
        if (Lowercase) SimpleNormalizers.Lowercase(ns);
    }

    private static void DoCleanText(NormalizedString ns)
    {
        bool needFilter = false, needMap = false;
        foreach (char c in ns.Span)
        {
            if (c < 0x80)
            {
                if (c < 0x20 || c == 0x7F)
                {
                    if (c is '\t' or '\n' or '\r') needMap = true;
                    else needFilter = true;
                }
                continue;
            }
            int f = UnicodeData.Flags(c);
            if ((f & UnicodeData.Other) != 0 || char.IsSurrogate(c)) needFilter = true;
            if ((f & UnicodeData.BertWhitespace) != 0) needMap = true;
        }
        if (needFilter) ns.Filter(static cp => !UnicodeData.Is(cp, UnicodeData.Other));
        if (needMap) ns.Map(static cp => UnicodeData.Is(cp, UnicodeData.BertWhitespace) ? ' ' : cp);
    }

    /// <summary>The CJK ranges BERT pads with spaces.</summary>
    public static bool IsChineseChar(int cp) => cp is
        (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF) or
        (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF) or
        (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    private static void DoChineseChars(NormalizedString ns)
    {
        bool any = false;
        for (int i = 0; i < ns.Length && !any;)
        {
            int cp = ns.CodePointAt(i, out int w);
            any = IsChineseChar(cp);
            i += w;
        }
        if (!any) return;
        var t = ns.BeginTransform();
        for (int i = 0; i < ns.Length;)
        {
            int cp = ns.CodePointAt(i, out int w);
            i += w;
            if (IsChineseChar(cp))
            {
                t.Emit(' ', 0);
                t.Emit(cp, 1);
                t.Emit(' ', 1);
            }
            else
            {
                t.Emit(cp, 0);
            }
        }
        t.Commit();
    }
}
