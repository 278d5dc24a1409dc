using System.Text;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>
/// HF's ByteLevel pre-tokenizer: optional prefix space, optional GPT-2 regex split, then every
/// character is replaced by the byte-level characters of its UTF-8 bytes (the first keeps the
/// character's alignment, the others are insertions aligned with it).
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/byte_level.rs</remarks>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex, bool trimOffsets) : IPreTokenizer
{
    private static readonly Lazy<OnigRegex> Gpt2 = new(() => new OnigRegex(ByteLevelAlphabet.Gpt2Pattern));

    /// <summary>The GPT-2 split regex used when <see cref="UseRegex"/> is set.</summary>
    internal static OnigRegex Gpt2Regex => Gpt2.Value;

    /// <summary>add_prefix_space.</summary>
    public bool AddPrefixSpace { get; } = addPrefixSpace;

    /// <summary>use_regex.</summary>
    public bool UseRegex { get; } = useRegex;

    /// <summary>trim_offsets (kept for serialization).</summary>
    public bool TrimOffsets { get; } = trimOffsets;

    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts)
    {
        if (AddPrefixSpace || UseRegex)
        {
            pts.Split(ns =>
            {
                if (AddPrefixSpace && !ns.Span.StartsWith(' ')) ns.Prepend(" ");
                if (!UseRegex) return [new Split(ns)];
                return Splitting.Split(ns, Splitting.FindRegex(ns, Gpt2.Value, false), SplitBehavior.Isolated).Select(p => new Split(p));
            });
        }
        pts.NormalizeEach(ToBytes);
    }

    /// <summary>Rewrites <paramref name="ns"/> into byte-level characters.</summary>
    public static void ToBytes(NormalizedString ns)
    {
        var span = ns.Span;
        bool simple = true;
        foreach (char c in span)
        {
            if (c >= 0x80 || ByteLevelAlphabet.ByteToChar[c] != c) { simple = false; break; }
        }
        if (simple) return;
        bool sameLength = true;
        foreach (char c in span) if (c >= 0x80) { sameLength = false; break; }
        if (sameLength)
        {
            ns.Map(static cp => ByteLevelAlphabet.ByteToChar[cp]);
            return;
        }
        var t = ns.BeginTransform();
        Span<byte> buf = stackalloc byte[4];
        for (int i = 0; i < ns.Length;)
        {
            int cp = ns.CodePointAt(i, out int w);
            i += w;
            if (cp < 0x80)
            {
                t.Emit(ByteLevelAlphabet.ByteToChar[cp], 0);
                continue;
            }
            int n = new Rune(Rune.IsValid(cp) ? cp : 0xFFFD).EncodeToUtf8(buf);
            for (int k = 0; k < n; k++) t.Emit(ByteLevelAlphabet.ByteToChar[buf[k]], k == 0 ? 0 : 1);
        }
        t.Commit();
    }
}
