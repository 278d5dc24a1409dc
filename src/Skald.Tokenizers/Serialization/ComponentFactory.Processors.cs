using System.Text.Json;
using Skald.Tokenizers.Core;
using Skald.Tokenizers.Decoders;
using Skald.Tokenizers.Processors;

namespace Skald.Tokenizers.Serialization;

/// <summary>Post-processor, decoder and added-token sections of tokenizer.json.</summary>
internal static partial class ComponentFactory
{
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
                        var ids = r.Array(p.Value, "ids", sp).EnumerateArray().Select(x =>
                            x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int id) && id >= 0 ? id : throw r.Error($"{sp}.ids", "ids must be non-negative integers")).ToArray();
                        var toks = r.Array(p.Value, "tokens", sp).EnumerateArray().Select(x =>
                            x.ValueKind == JsonValueKind.String ? x.GetString()! : throw r.Error($"{sp}.tokens", "tokens must be strings")).ToArray();
                        if (ids.Length != toks.Length) throw r.Error(sp, "ids and tokens differ in length");
                        specials[r.String(p.Value, "id", sp) ?? p.Name] = (ids, toks);
                    }
                }
                var single = Template(r, r.Array(e, "single", path), $"{path}.single", specials);
                var pair = JsonReader.TryGet(e, "pair", out var pe) ? Template(r, pe, $"{path}.pair", specials) : single;
                return new TemplateProcessing(single, pair, specials);
            }
            case "ByteLevel":
                return new ByteLevelProcessing(r.Bool(e, "trim_offsets", path, true), r.Bool(e, "add_prefix_space", path, true));
            case "Sequence":
                return new SequenceProcessing(Sequence(r, e, "processors", path, PostProcessor));
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

    /// <summary>Decoder from JSON (null JSON gives null).</summary>
    public static IDecoder? Decoder(JsonReader r, JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Null) return null;
        string type = r.TypeOf(e, path, "decoder");
        switch (type)
        {
            case "ByteLevel": return new ByteLevelDecoder();
            case "WordPiece": return new WordPieceDecoder(r.String(e, "prefix", path) ?? "##", r.Bool(e, "cleanup", path, true));
            case "Metaspace":
            {
                string replacement = r.String(e, "replacement", path) ?? "\u2581";
                string? scheme = r.String(e, "prepend_scheme", path);
                bool strip = scheme is null ? r.Bool(e, "add_prefix_space", path, true) : scheme != "never";
                return new MetaspaceDecoder(replacement, strip);
            }
            case "BPEDecoder": return new BpeDecoder(r.String(e, "suffix", path) ?? "</w>");
            case "ByteFallback": return new ByteFallbackDecoder();
            case "Fuse": return new FuseDecoder();
            case "Strip":
                return new StripDecoder(r.RequiredString(e, "content", path), r.Int(e, "start", path) ?? 0, r.Int(e, "stop", path) ?? 0);
            case "Replace":
            {
                var pattern = r.Required(e, "pattern", path);
                string content = r.String(e, "content", path) ?? "";
                if (pattern.ValueKind == JsonValueKind.Object && JsonReader.TryGet(pattern, "String", out var s) && s.ValueKind == JsonValueKind.String)
                    return new ReplaceDecoder(s.GetString(), null, content);
                if (pattern.ValueKind == JsonValueKind.Object && JsonReader.TryGet(pattern, "Regex", out var re) && re.ValueKind == JsonValueKind.String)
                    return new ReplaceDecoder(null, CompileRegex(r, re.GetString()!, $"{path}.pattern"), content);
                throw r.Error($"{path}.pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
            }
            case "CTC":
                return new CtcDecoder(r.String(e, "pad_token", path) ?? "<pad>", r.String(e, "word_delimiter_token", path) ?? "|", r.Bool(e, "cleanup", path, true));
            case "Sequence":
                return new SequenceDecoder(Sequence(r, e, "decoders", path, Decoder));
            default:
                throw r.Error(path, $"unknown decoder type \"{type}\"");
        }
    }
}
