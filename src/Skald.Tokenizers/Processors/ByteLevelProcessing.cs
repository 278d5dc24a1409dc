using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Processors;

/// <summary>HF's ByteLevel post-processor: only trims whitespace (Ġ) from offsets when trim_offsets.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/byte_level.rs</remarks>
internal sealed record ByteLevelProcessing(bool TrimOffsets, bool AddPrefixSpace) : IPostProcessor
{
    /// <inheritdoc/>
    public int AddedTokens(bool isPair) => 0;

    /// <inheritdoc/>
    public List<RawEncoding> ProcessEncodings(List<RawEncoding> encodings, bool addSpecialTokens)
    {
        if (TrimOffsets) foreach (var e in encodings) TrimAll(e, AddPrefixSpace);
        return encodings;
    }

    /// <summary>Trims an encoding and its overflowing parts.</summary>
    internal static void TrimAll(RawEncoding e, bool addPrefixSpace)
    {
        Trim(e, addPrefixSpace);
        foreach (var o in e.Overflowing) Trim(o, addPrefixSpace);
    }

    /// <summary>HF's process_offsets: leading/trailing whitespace (and Ġ) of each token leave its offsets.</summary>
    internal static void Trim(RawEncoding e, bool addPrefixSpace)
    {
        for (int i = 0; i < e.Count; i++)
        {
            string tok = e.Tokens[i];
            if (tok.Length == 0) continue;
            if (!IsSpace(tok[0]) && !IsSpace(tok[^1]) && !char.IsSurrogate(tok[0]) && !char.IsSurrogate(tok[^1])) continue;
            var runes = tok.EnumerateRunes().ToList();
            int lead = 0, trail = 0;
            while (lead < runes.Count && IsSpace(runes[lead].Value)) lead++;
            for (int k = runes.Count - 1; k >= 0 && IsSpace(runes[k].Value); k--) trail++;
            if (lead == 0 && trail == 0) continue;
            var (s, end) = e.Offsets[i];
            if (lead > 0)
            {
                bool isFirst = i == 0 || s == 0;
                if (isFirst && addPrefixSpace && lead == 1) lead = 0;
                s = Math.Min(s + lead, end);
            }
            if (trail > 0 && end >= trail) end = Math.Max(end - trail, s);
            e.Offsets[i] = (s, end);
        }
    }

    private static bool IsSpace(int cp) => cp == 0x120 || UnicodeData.IsWhitespace(cp);
}
