using System.Text.Json;

namespace Skald.Tokenizers.Tests;

/// <summary>The ids, tokens (optional), offsets, type ids and special-token mask of one oracle encoding.</summary>
internal sealed record ExpectedBody(int[] Ids, string[]? Tokens, (int, int)[] Offsets, int[] TypeIds, int[]? SpecialTokensMask)
{
    public static ExpectedBody Parse(JsonElement r)
    {
        int[] Ints(string name) => r.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();
        return new ExpectedBody(
            Ints("ids"),
            r.TryGetProperty("tokens", out var t) ? t.EnumerateArray().Select(x => x.GetString()!).ToArray() : null,
            r.GetProperty("offsets").EnumerateArray().Select(x => (x[0].GetInt32(), x[1].GetInt32())).ToArray(),
            r.TryGetProperty("type_ids", out _) ? Ints("type_ids") : [],
            r.TryGetProperty("special_tokens_mask", out _) ? Ints("special_tokens_mask") : null);
    }

    /// <summary>First difference from <paramref name="got"/>, or null.</summary>
    public string? Diff(Encoding got)
    {
        if (Tokens is not null && !got.Tokens.SequenceEqual(Tokens))
            return $"tokens differ\n  expected: {string.Join(" | ", Tokens)}\n  actual:   {string.Join(" | ", got.Tokens)}";
        if (!got.Ids.SequenceEqual(Ids))
            return $"ids differ\n  expected: {string.Join(",", Ids)}\n  actual:   {string.Join(",", got.Ids)}\n  actual tokens: {string.Join(" | ", got.Tokens)}";
        if (!got.Offsets.SequenceEqual(Offsets))
            return $"offsets differ\n  expected: {string.Join(" ", Offsets)}\n  actual:   {string.Join(" ", got.Offsets)}\n  tokens: {string.Join(" | ", got.Tokens)}";
        if (TypeIds.Length > 0 && !got.TypeIds.SequenceEqual(TypeIds))
            return $"type ids differ\n  expected: {string.Join(",", TypeIds)}\n  actual:   {string.Join(",", got.TypeIds)}";
        if (SpecialTokensMask is not null && !got.SpecialTokensMask.SequenceEqual(SpecialTokensMask))
            return $"special tokens mask differs\n  expected: {string.Join(",", SpecialTokensMask)}\n  actual:   {string.Join(",", got.SpecialTokensMask)}";
        if (got.AttentionMask.Length != got.Ids.Length || got.AttentionMask.Any(x => x != 1))
            return "attention mask is not all ones";
        return null;
    }
}

/// <summary>One expected encoding written by the oracle (fixtures/tokenizers/make_expected.mjs or oracle_shared.mjs).</summary>
internal sealed record ExpectedEncoding(
    string Kind, string Text, string? TextPair, bool AddSpecialTokens, TruncationOptions? Truncation,
    ExpectedBody Body, ExpectedBody[]? Overflowing, string? Decoded, string? DecodedSpecial)
{
    public static ExpectedEncoding Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        int max = r.TryGetProperty("max_length", out var m) ? m.GetInt32() : 0;
        TruncationOptions? trunc = null;
        if (max > 0)
        {
            var strategy = r.TryGetProperty("strategy", out var s) ? s.GetString() switch
            {
                "OnlyFirst" => TruncationStrategy.OnlyFirst,
                "OnlySecond" => TruncationStrategy.OnlySecond,
                _ => TruncationStrategy.LongestFirst,
            } : TruncationStrategy.LongestFirst;
            int stride = r.TryGetProperty("stride", out var st) ? st.GetInt32() : 0;
            var dir = r.TryGetProperty("direction", out var d) && d.GetString() == "Left" ? TruncationDirection.Left : TruncationDirection.Right;
            trunc = new TruncationOptions(max, strategy, stride, dir);
        }
        return new ExpectedEncoding(
            r.TryGetProperty("kind", out var k) ? k.GetString()! : "single",
            r.GetProperty("text").GetString()!,
            r.TryGetProperty("text_pair", out var p) ? p.GetString() : null,
            !r.TryGetProperty("add_special_tokens", out var a) || a.GetBoolean(),
            trunc,
            ExpectedBody.Parse(r),
            r.TryGetProperty("overflowing", out var o) ? o.EnumerateArray().Select(ExpectedBody.Parse).ToArray() : null,
            r.TryGetProperty("decoded", out var dd) ? dd.GetString() : null,
            r.TryGetProperty("decoded_special", out var ds) ? ds.GetString() : null);
    }
}

/// <summary>Compares Skald's encodings with the oracle's.</summary>
internal static class OracleComparer
{
    /// <summary>Encodes like the expected record and returns a description of the first difference, or null.</summary>
    public static string? Compare(Tokenizer tokenizer, ExpectedEncoding e)
    {
        Encoding got;
        try
        {
            got = e.TextPair is null
                ? tokenizer.Encode(e.Text, e.Truncation, e.AddSpecialTokens)
                : tokenizer.EncodePair(e.Text, e.TextPair, e.Truncation, e.AddSpecialTokens);
        }
        catch (Exception ex)
        {
            return $"threw {ex.GetType().Name}: {ex.Message}";
        }
        var diff = e.Body.Diff(got);
        if (diff is not null) return diff;
        if (e.Overflowing is not null)
        {
            if (got.Overflowing.Count != e.Overflowing.Length)
                return $"overflowing count {got.Overflowing.Count}, expected {e.Overflowing.Length}";
            for (int i = 0; i < e.Overflowing.Length; i++)
            {
                var od = e.Overflowing[i].Diff(got.Overflowing[i]);
                if (od is not null) return $"overflowing[{i}]: {od}";
            }
        }
        if (e.Decoded is not null)
        {
            string dec = tokenizer.Decode(got.Ids, skipSpecialTokens: true);
            if (dec != e.Decoded) return $"decoded differs\n  expected: {JsonSerializer.Serialize(e.Decoded)}\n  actual:   {JsonSerializer.Serialize(dec)}";
        }
        if (e.DecodedSpecial is not null)
        {
            string dec = tokenizer.Decode(got.Ids, skipSpecialTokens: false);
            if (dec != e.DecodedSpecial) return $"decoded (with specials) differs\n  expected: {JsonSerializer.Serialize(e.DecodedSpecial)}\n  actual:   {JsonSerializer.Serialize(dec)}";
        }
        return null;
    }

    /// <summary>Compares every line of an expected.jsonl file; returns (compared, mismatch reports).</summary>
    public static (int Compared, List<string> Mismatches) CompareFile(Tokenizer tokenizer, string expectedPath)
    {
        var mismatches = new List<string>();
        int n = 0;
        foreach (var line in File.ReadLines(expectedPath))
        {
            if (line.Length == 0) continue;
            var e = ExpectedEncoding.Parse(line);
            n++;
            var diff = Compare(tokenizer, e);
            if (diff is not null)
                mismatches.Add($"[{e.Kind}] {JsonSerializer.Serialize(e.Text)}{(e.TextPair is null ? "" : " + " + JsonSerializer.Serialize(e.TextPair))}: {diff}");
        }
        return (n, mismatches);
    }
}
