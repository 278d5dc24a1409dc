using System.Text.Json;
using Skald.Tokenizers.Core;
using Skald.Tokenizers.Models;
using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.PreTokenizers;
using Skald.Tokenizers.Processors;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Serialization;

/// <summary>Builds the tokenizer's components (normalizer, pre-tokenizer, model, post-processor, decoder) from tokenizer.json sections.</summary>
internal static partial class ComponentFactory
{
    /// <summary>Normalizer from JSON (null JSON gives null).</summary>
    public static INormalizer? Normalizer(JsonReader r, JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Null) return null;
        string type = r.TypeOf(e, path, "normalizer");
        switch (type)
        {
            case "BertNormalizer":
                return new BertNormalizer(r.Bool(e, "clean_text", path, true), r.Bool(e, "handle_chinese_chars", path, true),
                    r.NullableBool(e, "strip_accents", path), r.Bool(e, "lowercase", path, true));
            case "Precompiled":
            {
                string? b64 = r.String(e, "precompiled_charsmap", path);
                if (string.IsNullOrEmpty(b64)) return new SequenceNormalizer([]);
                try
                {
                    return new PrecompiledNormalizer(Convert.FromBase64String(b64));
                }
                catch (FormatException ex)
                {
                    throw new TokenizerException($"{r.Source}: invalid precompiled_charsmap ({ex.Message}) at {path}", ex);
                }
            }
            case "NFC": return new UnicodeNormalizer(NormalizationKind.Nfc);
            case "NFD": return new UnicodeNormalizer(NormalizationKind.Nfd);
            case "NFKC": return new UnicodeNormalizer(NormalizationKind.Nfkc);
            case "NFKD": return new UnicodeNormalizer(NormalizationKind.Nfkd);
            case "Lowercase": return new LowercaseNormalizer();
            case "ByteLevel": return new ByteLevelNormalizer();
            case "StripAccents": return new StripAccentsNormalizer();
            case "Nmt": return new NmtNormalizer();
            case "Strip": return new StripNormalizer(r.Bool(e, "strip_left", path, true), r.Bool(e, "strip_right", path, true));
            case "Prepend": return new PrependNormalizer(r.RequiredString(e, "prepend", path));
            case "Replace":
            {
                var pattern = r.Required(e, "pattern", path);
                string content = r.String(e, "content", path) ?? "";
                if (pattern.ValueKind == JsonValueKind.Object && JsonReader.TryGet(pattern, "String", out var s) && s.ValueKind == JsonValueKind.String)
                    return new ReplaceNormalizer(s.GetString(), null, content);
                if (pattern.ValueKind == JsonValueKind.Object && JsonReader.TryGet(pattern, "Regex", out var re) && re.ValueKind == JsonValueKind.String)
                    return new ReplaceNormalizer(null, CompileRegex(r, re.GetString()!, $"{path}.pattern"), content);
                throw r.Error($"{path}.pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
            }
            case "Sequence":
                return new SequenceNormalizer(Sequence(r, e, "normalizers", path, Normalizer));
            default:
                throw r.Error(path, $"unknown normalizer type \"{type}\"");
        }
    }

    /// <summary>
    /// The members of a <c>Sequence</c> component: each entry of the array <paramref name="key"/> read by
    /// <paramref name="read"/> at <c>path.key[i]</c>, null entries left out (the one reader of all four Sequence types).
    /// </summary>
    private static List<T> Sequence<T>(JsonReader r, JsonElement e, string key, string path, Func<JsonReader, JsonElement, string, T?> read)
        where T : class
    {
        var list = new List<T>();
        int i = 0;
        foreach (var item in r.Array(e, key, path).EnumerateArray())
        {
            if (read(r, item, $"{path}.{key}[{i++}]") is { } member) list.Add(member);
        }
        return list;
    }

    /// <summary>Compiles an Oniguruma pattern from the file, reporting failures with the JSON path.</summary>
    public static OnigRegex CompileRegex(JsonReader r, string pattern, string path)
    {
        try
        {
            return new OnigRegex(pattern, $"{r.Source} at {path}");
        }
        catch (ArgumentException ex)
        {
            throw new TokenizerException($"{r.Source}: invalid regex \"{pattern}\" ({ex.Message}) at {path}", ex);
        }
    }

    private static SplitBehavior Behavior(JsonReader r, JsonElement e, string path, SplitBehavior? fallback)
    {
        string? b = r.String(e, "behavior", path);
        if (b is null) return fallback ?? throw r.Error(path, "missing \"behavior\"");
        return b switch
        {
            "Removed" => SplitBehavior.Removed,
            "Isolated" => SplitBehavior.Isolated,
            "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
            "MergedWithNext" => SplitBehavior.MergedWithNext,
            "Contiguous" => SplitBehavior.Contiguous,
            _ => throw r.Error($"{path}.behavior", $"unknown split behavior \"{b}\""),
        };
    }

    /// <summary>Pre-tokenizer from JSON (null JSON gives null).</summary>
    public static IPreTokenizer? PreTokenizer(JsonReader r, JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Null) return null;
        string type = r.TypeOf(e, path, "pre_tokenizer");
        switch (type)
        {
            case "BertPreTokenizer": return new BertPreTokenizer();
            case "WhitespaceSplit": return new WhitespaceSplitPreTokenizer();
            case "Whitespace": return new WhitespacePreTokenizer();
            case "Metaspace":
            {
                string replacement = r.String(e, "replacement", path) ?? "\u2581";
                if (replacement.Length == 0 || char.ConvertToUtf32(replacement, 0) is int cp && replacement.Length != (cp >= 0x10000 ? 2 : 1))
                    throw r.Error($"{path}.replacement", "expected a single character");
                string? scheme = r.String(e, "prepend_scheme", path);
                PrependScheme ps = scheme switch
                {
                    null => r.Bool(e, "add_prefix_space", path, true) ? PrependScheme.Always : PrependScheme.Never,
                    "always" => PrependScheme.Always,
                    "first" => PrependScheme.First,
                    "never" => PrependScheme.Never,
                    _ => throw r.Error($"{path}.prepend_scheme", $"unknown prepend_scheme \"{scheme}\""),
                };
                return new MetaspacePreTokenizer(replacement, ps, r.Bool(e, "split", path, true));
            }
            case "ByteLevel":
                return new ByteLevelPreTokenizer(r.Bool(e, "add_prefix_space", path, true), r.Bool(e, "use_regex", path, true), r.Bool(e, "trim_offsets", path, true));
            case "Split":
            {
                var pattern = r.Required(e, "pattern", path);
                var behavior = Behavior(r, e, path, null);
                bool invert = r.Bool(e, "invert", path, false);
                if (pattern.ValueKind == JsonValueKind.Object && JsonReader.TryGet(pattern, "String", out var s) && s.ValueKind == JsonValueKind.String)
                    return new SplitPreTokenizer(s.GetString(), null, behavior, invert);
                if (pattern.ValueKind == JsonValueKind.Object && JsonReader.TryGet(pattern, "Regex", out var re) && re.ValueKind == JsonValueKind.String)
                    return new SplitPreTokenizer(null, CompileRegex(r, re.GetString()!, $"{path}.pattern"), behavior, invert);
                throw r.Error($"{path}.pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
            }
            case "Punctuation": return new PunctuationPreTokenizer(Behavior(r, e, path, SplitBehavior.Isolated));
            case "Digits": return new DigitsPreTokenizer(r.Bool(e, "individual_digits", path, false));
            case "CharDelimiterSplit":
            {
                string d = r.RequiredString(e, "delimiter", path);
                if (d.Length == 0 || d.Length != (char.ConvertToUtf32(d, 0) >= 0x10000 ? 2 : 1)) throw r.Error($"{path}.delimiter", "expected a single character");
                return new CharDelimiterSplitPreTokenizer(char.ConvertToUtf32(d, 0));
            }
            case "Sequence":
                return new SequencePreTokenizer(Sequence(r, e, "pretokenizers", path, PreTokenizer));
            default:
                throw r.Error(path, $"unknown pre_tokenizer type \"{type}\"");
        }
    }

}
