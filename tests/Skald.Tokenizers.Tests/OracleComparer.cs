using System.Text.Json;

namespace Skald.Tokenizers.Tests;

/// <summary>One expected encoding written by the oracle (fixtures/tokenizers/make_expected.mjs).</summary>
internal sealed record ExpectedEncoding(
    string Kind, string Text, string? TextPair, bool AddSpecialTokens, int MaxLength,
    int[] Ids, string[] Tokens, (int, int)[] Offsets, int[] TypeIds, int[]? SpecialTokensMask)
{
    public static ExpectedEncoding Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        int[] Ints(string name) => r.GetProperty(name).EnumerateArray().Select(x => x.GetInt32()).ToArray();
        return new ExpectedEncoding(
            r.TryGetProperty("kind", out var k) ? k.GetString()! : "single",
            r.GetProperty("text").GetString()!,
            r.TryGetProperty("text_pair", out var p) ? p.GetString() : null,
            !r.TryGetProperty("add_special_tokens", out var a) || a.GetBoolean(),
            r.TryGetProperty("max_length", out var m) ? m.GetInt32() : 0,
            Ints("ids"),
            r.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()!).ToArray(),
            r.GetProperty("offsets").EnumerateArray().Select(x => (x[0].GetInt32(), x[1].GetInt32())).ToArray(),
            r.TryGetProperty("type_ids", out _) ? Ints("type_ids") : [],
            r.TryGetProperty("special_tokens_mask", out _) ? Ints("special_tokens_mask") : null);
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
                ? tokenizer.Encode(e.Text, e.AddSpecialTokens, e.MaxLength)
                : tokenizer.EncodePair(e.Text, e.TextPair, e.AddSpecialTokens, e.MaxLength);
        }
        catch (Exception ex)
        {
            return $"threw {ex.GetType().Name}: {ex.Message}";
        }
        if (!got.Tokens.SequenceEqual(e.Tokens))
            return $"tokens differ\n  expected: {string.Join(" | ", e.Tokens)}\n  actual:   {string.Join(" | ", got.Tokens)}";
        if (!got.Ids.SequenceEqual(e.Ids))
            return $"ids differ\n  expected: {string.Join(",", e.Ids)}\n  actual:   {string.Join(",", got.Ids)}";
        if (!got.Offsets.SequenceEqual(e.Offsets))
            return $"offsets differ\n  expected: {string.Join(" ", e.Offsets)}\n  actual:   {string.Join(" ", got.Offsets)}\n  tokens: {string.Join(" | ", e.Tokens)}";
        if (e.TypeIds.Length > 0 && !got.TypeIds.SequenceEqual(e.TypeIds))
            return $"type ids differ\n  expected: {string.Join(",", e.TypeIds)}\n  actual:   {string.Join(",", got.TypeIds)}";
        if (e.SpecialTokensMask is not null && !got.SpecialTokensMask.SequenceEqual(e.SpecialTokensMask))
            return $"special tokens mask differs\n  expected: {string.Join(",", e.SpecialTokensMask)}\n  actual:   {string.Join(",", got.SpecialTokensMask)}";
        if (got.AttentionMask.Length != got.Ids.Length || got.AttentionMask.Any(x => x != 1))
            return "attention mask is not all ones";
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
