using System.Text.Json;
using Skald.Tokenizers.Decoders;
using Skald.Tokenizers.Serialization;

namespace Skald.Tokenizers;

/// <summary>Decoding, truncation options and component introspection.</summary>
public sealed partial class Tokenizer
{
    /// <summary>
    /// Turns ids back into text like HF's decode: ids map to tokens (added tokens first), special
    /// tokens are dropped when <paramref name="skipSpecialTokens"/>, then the decoder joins them (without
    /// a decoder the tokens are joined with spaces). Unknown ids are skipped.
    /// </summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = true) => DecodeTokens(ids, skipSpecialTokens, null);

    /// <summary>
    /// <see cref="Decode(IReadOnlyList{int}, bool)"/> with special tokens dropped except the ids in
    /// <paramref name="keepSpecial"/>, whose text stays where they are (as a tool-call parser needs a model's special call
    /// tags, as vLLM decodes with <c>skip_special_tokens</c> off for such parsers); the text goes through the decoder whole.
    /// </summary>
    public string DecodeKeeping(IReadOnlyList<int> ids, IReadOnlySet<int> keepSpecial)
    {
        ArgumentNullException.ThrowIfNull(keepSpecial);
        return DecodeTokens(ids, skipSpecialTokens: true, keepSpecial);
    }

    private string DecodeTokens(IReadOnlyList<int> ids, bool skipSpecialTokens, IReadOnlySet<int>? keepSpecial)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>(ids.Count);
        foreach (int id in ids)
        {
            string? t = IdToToken(id);
            if (t is null) continue;
            if (skipSpecialTokens && _added.TryGetId(t, out int aid) && _added.TryGetToken(aid, out var at) && at!.Special
                && keepSpecial?.Contains(id) != true) continue;
            tokens.Add(t);
        }
        return _decoder is null ? string.Join(' ', tokens) : string.Concat(_decoder.DecodeChain(tokens));
    }

    /// <summary>
    /// The raw bytes token <paramref name="id"/> stands for in decoded text, or null for an unknown id: a byte-level
    /// token's bytes (GPT-2's byte-to-unicode table reversed), a SentencePiece byte-fallback <c>&lt;0xNN&gt;</c> token's
    /// byte, <c>▁</c> as a space, a WordPiece piece without its <c>##</c>; an added token's content in UTF-8. Unlike
    /// <see cref="Decode"/> of the id alone, a token holding part of a character's UTF-8 bytes gives those bytes (not
    /// U+FFFD's), and a leading space is kept, so the bytes of a sequence's tokens add up to its decoded text's bytes
    /// (where the decoder only maps tokens: not across WordPiece's joining spaces or cleanup).
    /// </summary>
    public byte[]? TokenBytes(int id)
    {
        if (_added.TryGetToken(id, out var added)) return System.Text.Encoding.UTF8.GetBytes(added!.Content);
        return _model.IdToToken(id) is { } token ? RawTokenBytes.Of(token, _decoder) : null;
    }

    /// <summary>Decodes many id sequences.</summary>
    public IReadOnlyList<string> DecodeBatch(IReadOnlyList<IReadOnlyList<int>> batch, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Select(ids => Decode(ids, skipSpecialTokens)).ToArray();
    }

    /// <summary>Encodes one text with full truncation options (strategy, stride, direction); cut parts land in <see cref="Encoding.Overflowing"/>.</summary>
    public Encoding Encode(string text, TruncationOptions? truncation, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return EncodeCore(text, null, addSpecialTokens, truncation);
    }

    /// <summary>Encodes a pair with full truncation options (longest_first, only_first, only_second, stride, direction).</summary>
    public Encoding EncodePair(string a, string b, TruncationOptions? truncation, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return EncodeCore(a, b, addSpecialTokens, truncation);
    }

    /// <summary>Encodes many pairs, in parallel when the batch is large enough to profit; the result order matches the input order.</summary>
    public IReadOnlyList<Encoding> EncodePairBatch(IReadOnlyList<(string A, string B)> pairs, TruncationOptions? truncation = null, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var results = new Encoding[pairs.Count];
        ForEachText(pairs.Count, i => (pairs[i].A?.Length ?? 0) + (pairs[i].B?.Length ?? 0), i => results[i] = EncodeCore(pairs[i].A, pairs[i].B, addSpecialTokens, truncation));
        return results;
    }

    /// <summary>The normalized, pre-tokenized words of <paramref name="text"/> (added tokens left out), as trainers count them.</summary>
    internal IEnumerable<string> PreTokenizedWords(string text)
    {
        var pts = _added.ExtractAndNormalize(text, _normalizer);
        _preTokenizer?.PreTokenize(pts);
        foreach (var split in pts.Splits)
            if (split.Tokens is null) yield return split.Normalized.ToString();
    }

    private static TruncationOptions ParseTruncation(JsonReader r, JsonElement tr, int maxLength)
    {
        string? strategy = r.String(tr, "strategy", "truncation");
        string? direction = r.String(tr, "direction", "truncation");
        return new TruncationOptions(maxLength,
            strategy switch
            {
                null or "LongestFirst" or "longest_first" => TruncationStrategy.LongestFirst,
                "OnlyFirst" or "only_first" => TruncationStrategy.OnlyFirst,
                "OnlySecond" or "only_second" => TruncationStrategy.OnlySecond,
                _ => throw r.Error("truncation.strategy", $"unknown truncation strategy \"{strategy}\""),
            },
            r.Int(tr, "stride", "truncation") ?? 0,
            direction switch
            {
                null or "Right" or "right" => TruncationDirection.Right,
                "Left" or "left" => TruncationDirection.Left,
                _ => throw r.Error("truncation.direction", $"unknown truncation direction \"{direction}\""),
            });
    }
}
