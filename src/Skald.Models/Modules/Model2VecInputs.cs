using System.Runtime.CompilerServices;
using Skald.Tokenizers;

namespace Skald.Models.Modules;

/// <summary>
/// model2vec's input side, as <c>StaticModel.tokenize</c> runs it for <c>encode</c>: each text cut to its first
/// max_length · median_token_length code points (the median length of the vocabulary's token strings, floored),
/// tokenized without special tokens, its unknown tokens dropped (<see cref="Tokenizer.UnknownTokenId"/>), then cut to
/// max_length tokens. A text with no token left embeds as zeros there, as here (the mean over nothing).
/// </summary>
/// <remarks>Upstream: https://github.com/MinishLab/model2vec/blob/c90140706ed2162c75c6f004b66e37a342fd8f1a/model2vec/model.py</remarks>
public static class Model2VecInputs
{
    private static readonly ConditionalWeakTable<Tokenizer, StrongBox<int>> Medians = [];

    /// <summary>
    /// The encodings model2vec averages for <paramref name="texts"/>, at most <paramref name="maxLength"/> tokens each;
    /// <see cref="Encoding.Truncated"/> marks a text that had more known tokens, or more than whitespace past the
    /// character cut (model2vec reads only max_length × the median token length of characters).
    /// </summary>
    public static IReadOnlyList<Encoding> Tokenize(Tokenizer tokenizer, IReadOnlyList<string> texts, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        long chars = (long)maxLength * MedianTokenLength(tokenizer);
        var cut = new string[texts.Count];
        for (int i = 0; i < cut.Length; i++) cut[i] = FirstCodePoints(texts[i], chars);
        var encodings = tokenizer.EncodeBatch(cut, addSpecialTokens: false);
        int? unk = tokenizer.UnknownTokenId;
        var result = new Encoding[encodings.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var e = encodings[i];
            var known = Enumerable.Range(0, e.Length).Where(t => e.Ids[t] != unk).ToArray();
            var keep = known.Length > maxLength ? known[..maxLength] : known;
            // Truncated: known tokens past max_length, or text past the character cut (unless only whitespace).
            bool truncated = known.Length > maxLength || !texts[i].AsSpan(cut[i].Length).IsWhiteSpace();
            result[i] = keep.Length == e.Length && !truncated ? e : new Encoding
            {
                Truncated = truncated,
                Ids = [.. keep.Select(t => e.Ids[t])], Tokens = [.. keep.Select(t => e.Tokens[t])],
                TypeIds = [.. keep.Select(t => e.TypeIds[t])], AttentionMask = [.. keep.Select(t => e.AttentionMask[t])],
                Offsets = [.. keep.Select(t => e.Offsets[t])], SpecialTokensMask = [.. keep.Select(t => e.SpecialTokensMask[t])],
            };
        }
        return result;
    }

    /// <summary>int(numpy.median(len(token) for every token of the vocabulary)), lengths in code points.</summary>
    public static int MedianTokenLength(Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return Medians.GetValue(tokenizer, static t =>
        {
            var lengths = new List<int>(t.VocabSize);
            for (int id = 0; id < t.IdBound; id++)
            {
                if (t.IdToToken(id) is { } token) lengths.Add(token.EnumerateRunes().Count());
            }
            if (lengths.Count == 0) return new StrongBox<int>(0);
            lengths.Sort();
            int n = lengths.Count;
            double median = n % 2 == 1 ? lengths[n / 2] : (lengths[n / 2 - 1] + lengths[n / 2]) / 2.0;
            return new StrongBox<int>((int)median);
        }).Value;
    }

    // Python's text[:count] (code points; a surrogate pair is one).
    private static string FirstCodePoints(string text, long count)
    {
        if (text.Length <= count) return text;
        int end = 0;
        for (long seen = 0; seen < count && end < text.Length; seen++)
            end += char.IsHighSurrogate(text[end]) && end + 1 < text.Length && char.IsLowSurrogate(text[end + 1]) ? 2 : 1;
        return text[..end];
    }
}
