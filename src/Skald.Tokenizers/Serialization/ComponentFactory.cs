using System.Text.Json;
using System.Text.RegularExpressions;
using Skald.Tokenizers.Core;
using Skald.Tokenizers.Models;
using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.PreTokenizers;
using Skald.Tokenizers.Processors;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Serialization;

/// <summary>Builds pipeline components from tokenizer.json sections.</summary>
internal static class ComponentFactory
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
            {
                var arr = r.Array(e, "normalizers", path);
                var list = new List<INormalizer>();
                int i = 0;
                foreach (var item in arr.EnumerateArray())
                {
                    var n = Normalizer(r, item, $"{path}.normalizers[{i++}]");
                    if (n is not null) list.Add(n);
                }
                return new SequenceNormalizer(list);
            }
            default:
                throw r.Error(path, $"unknown normalizer type \"{type}\"");
        }
    }

    private static Regex CompileRegex(JsonReader r, string pattern, string path)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException ex)
        {
            throw new TokenizerException($"{r.Source}: invalid regex \"{pattern}\" ({ex.Message}) at {path}", ex);
        }
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
            case "Sequence":
            {
                var arr = r.Array(e, "pretokenizers", path);
                var list = new List<IPreTokenizer>();
                int i = 0;
                foreach (var item in arr.EnumerateArray())
                {
                    var p = PreTokenizer(r, item, $"{path}.pretokenizers[{i++}]");
                    if (p is not null) list.Add(p);
                }
                return new SequencePreTokenizer(list);
            }
            default:
                throw r.Error(path, $"unknown pre_tokenizer type \"{type}\"");
        }
    }

    /// <summary>Model from JSON.</summary>
    public static IModel Model(JsonReader r, JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Object) throw r.Error(path, "missing model");
        string? type = r.String(e, "type", path);
        if (type is null)
        {
            // Old files have no "type": infer it from the keys like HF does.
            if (JsonReader.TryGet(e, "merges", out _)) type = "BPE";
            else if (JsonReader.TryGet(e, "vocab", out var v) && v.ValueKind == JsonValueKind.Array) type = "Unigram";
            else if (JsonReader.TryGet(e, "continuing_subword_prefix", out _) || JsonReader.TryGet(e, "max_input_chars_per_word", out _)) type = "WordPiece";
            else type = "WordLevel";
        }
        switch (type)
        {
            case "WordPiece":
            {
                var vocabEl = r.Required(e, "vocab", path);
                if (vocabEl.ValueKind != JsonValueKind.Object) throw r.Error($"{path}.vocab", "expected an object of token: id");
                var vocab = new Dictionary<string, int>();
                foreach (var p in vocabEl.EnumerateObject())
                {
                    if (!p.Value.TryGetInt32(out int id) || id < 0) throw r.Error($"{path}.vocab", $"bad id for token \"{p.Name}\"");
                    vocab[p.Name] = id;
                }
                return new WordPieceModel(vocab, r.String(e, "unk_token", path) ?? "[UNK]",
                    r.String(e, "continuing_subword_prefix", path) ?? "##", r.Int(e, "max_input_chars_per_word", path) ?? 100);
            }
            case "Unigram":
            {
                var arr = r.Array(e, "vocab", path);
                var vocab = new (string, double)[arr.GetArrayLength()];
                int i = 0;
                foreach (var item in arr.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 2 || item[0].ValueKind != JsonValueKind.String || item[1].ValueKind != JsonValueKind.Number)
                        throw r.Error($"{path}.vocab[{i}]", "expected [\"piece\", score]");
                    vocab[i++] = (item[0].GetString()!, item[1].GetDouble());
                }
                int? unk = r.Int(e, "unk_id", path);
                if (unk is int u && (u < 0 || u >= vocab.Length)) throw r.Error($"{path}.unk_id", "unk_id is outside the vocabulary");
                return new UnigramModel(vocab, unk, r.Bool(e, "byte_fallback", path, false));
            }
            default:
                throw r.Error(path, $"unknown model type \"{type}\"");
        }
    }

    /// <summary>Post-processor from JSON (null JSON gives null).</summary>
    public static IPostProcessor? PostProcessor(JsonReader r, JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Null) return null;
        string type = r.TypeOf(e, path, "post_processor");
        switch (type)
        {
            case "BertProcessing":
                return new BertProcessing(r.TokenIdPair(e, "sep", path), r.TokenIdPair(e, "cls", path));
            case "RobertaProcessing":
                return new RobertaProcessing(r.TokenIdPair(e, "sep", path), r.TokenIdPair(e, "cls", path),
                    r.Bool(e, "trim_offsets", path, true), r.Bool(e, "add_prefix_space", path, true));
            case "TemplateProcessing":
            {
                var specials = new Dictionary<string, (int[], string[])>();
                if (JsonReader.TryGet(e, "special_tokens", out var st))
                {
                    foreach (var p in st.EnumerateObject())
                    {
                        string sp = $"{path}.special_tokens.{p.Name}";
                        var ids = r.Array(p.Value, "ids", sp).EnumerateArray().Select(x => x.GetInt32()).ToArray();
                        var toks = r.Array(p.Value, "tokens", sp).EnumerateArray().Select(x => x.GetString() ?? "").ToArray();
                        if (ids.Length != toks.Length) throw r.Error(sp, "ids and tokens differ in length");
                        specials[r.String(p.Value, "id", sp) ?? p.Name] = (ids, toks);
                    }
                }
                var single = Template(r, r.Array(e, "single", path), $"{path}.single", specials);
                var pair = JsonReader.TryGet(e, "pair", out var pe) ? Template(r, pe, $"{path}.pair", specials) : single;
                return new TemplateProcessing(single, pair, specials);
            }
            default:
                throw r.Error(path, $"unknown post_processor type \"{type}\"");
        }
    }

    private static List<TemplatePiece> Template(JsonReader r, JsonElement arr, string path, Dictionary<string, (int[], string[])> specials)
    {
        var list = new List<TemplatePiece>();
        int i = 0;
        foreach (var item in arr.EnumerateArray())
        {
            string p = $"{path}[{i++}]";
            if (JsonReader.TryGet(item, "Sequence", out var seq))
            {
                list.Add(new TemplatePiece(true, r.String(seq, "id", p) ?? "A", r.Int(seq, "type_id", p) ?? 0));
            }
            else if (JsonReader.TryGet(item, "SpecialToken", out var sp))
            {
                string id = r.RequiredString(sp, "id", p);
                if (!specials.ContainsKey(id)) throw r.Error(p, $"special token \"{id}\" is not in special_tokens");
                list.Add(new TemplatePiece(false, id, r.Int(sp, "type_id", p) ?? 0));
            }
            else
            {
                throw r.Error(p, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
            }
        }
        return list;
    }

    /// <summary>added_tokens from JSON.</summary>
    public static List<AddedToken> AddedTokens(JsonReader r, JsonElement root)
    {
        var list = new List<AddedToken>();
        if (!JsonReader.TryGet(root, "added_tokens", out var arr)) return list;
        if (arr.ValueKind != JsonValueKind.Array) throw r.Error("added_tokens", "expected an array");
        int i = 0;
        foreach (var t in arr.EnumerateArray())
        {
            string p = $"added_tokens[{i++}]";
            int id = r.Int(t, "id", p) ?? throw r.Error(p, "missing \"id\"");
            bool special = r.Bool(t, "special", p, false);
            list.Add(new AddedToken(id, r.RequiredString(t, "content", p), r.Bool(t, "single_word", p, false),
                r.Bool(t, "lstrip", p, false), r.Bool(t, "rstrip", p, false), r.Bool(t, "normalized", p, !special), special));
        }
        return list;
    }
}
