using System.Text.Json;
using Skald.Tokenizers.Models;

namespace Skald.Tokenizers.Serialization;

/// <summary>Model section of tokenizer.json.</summary>
internal static partial class ComponentFactory
{
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
                var pieces = Vocab(r, e, path);
                return new WordPieceModel(pieces, UnkInVocab(r, pieces, r.String(e, "unk_token", path) ?? "[UNK]", path),
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
            case "BPE":
                return Bpe(r, e, path);
            case "WordLevel":
                var words = Vocab(r, e, path);
                return new WordLevelModel(words, UnkInVocab(r, words, r.String(e, "unk_token", path) ?? "<unk>", path));
            default:
                throw r.Error(path, $"unknown model type \"{type}\"");
        }
    }

    private static Dictionary<string, int> Vocab(JsonReader r, JsonElement e, string path)
    {
        var vocabEl = r.Required(e, "vocab", path);
        if (vocabEl.ValueKind != JsonValueKind.Object) throw r.Error($"{path}.vocab", "expected an object of token: id");
        var vocab = new Dictionary<string, int>();
        foreach (var p in vocabEl.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0) throw r.Error($"{path}.vocab", $"bad id for token \"{p.Name}\"");
            if (id > MaxTokenId)
                throw r.Error($"{path}.vocab", $"id {id} of token \"{p.Name}\" is beyond any real vocabulary (ids go up to {MaxTokenId})");
            vocab[p.Name] = id;
        }
        return vocab;
    }

    /// <summary>Largest token id a vocabulary may hold (2²⁴ − 1; the largest real vocabularies hold about 2¹⁸ tokens).</summary>
    private const int MaxTokenId = (1 << 24) - 1;

    /// <summary>
    /// The unk token of a WordPiece / WordLevel model, checked at load: HF fails only when it first meets an unknown
    /// word, long after the file was read; an empty vocabulary or an unk token it lacks is an error naming the key here.
    /// </summary>
    private static string UnkInVocab(JsonReader r, Dictionary<string, int> vocab, string unk, string path)
    {
        if (vocab.Count == 0) throw r.Error($"{path}.vocab", "the vocabulary is empty");
        if (!vocab.ContainsKey(unk)) throw r.Error($"{path}.unk_token", $"unk_token \"{unk}\" is not in the vocabulary");
        return unk;
    }

    private static BpeModel Bpe(JsonReader r, JsonElement e, string path)
    {
        var vocab = Vocab(r, e, path);
        var mergesEl = r.Array(e, "merges", path);
        var merges = new List<(string, string)>(mergesEl.GetArrayLength());
        int i = 0;
        foreach (var m in mergesEl.EnumerateArray())
        {
            string mp = $"{path}.merges[{i++}]";
            if (m.ValueKind == JsonValueKind.String)
            {
                string s = m.GetString()!;
                int sp = s.IndexOf(' ', 1 < s.Length ? 1 : 0);
                if (sp <= 0 || sp == s.Length - 1 || s.IndexOf(' ', sp + 1) >= 0) throw r.Error(mp, $"bad merge \"{s}\" (expected \"a b\")");
                merges.Add((s[..sp], s[(sp + 1)..]));
            }
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2 && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
            {
                merges.Add((m[0].GetString()!, m[1].GetString()!));
            }
            else
            {
                throw r.Error(mp, "bad merge (expected \"a b\" or [\"a\", \"b\"])");
            }
        }
        double? dropout = JsonReader.TryGet(e, "dropout", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetDouble() : null;
        if (dropout is double dv && (dv < 0 || dv > 1)) throw r.Error($"{path}.dropout", "dropout must be between 0 and 1");
        var options = new BpeOptions(r.String(e, "unk_token", path), r.String(e, "continuing_subword_prefix", path), r.String(e, "end_of_word_suffix", path),
            r.Bool(e, "fuse_unk", path, false), r.Bool(e, "byte_fallback", path, false), r.Bool(e, "ignore_merges", path, false), dropout);
        try
        {
            return new BpeModel(vocab, merges, options);
        }
        catch (TokenizerException ex)
        {
            throw new TokenizerException($"{r.Source}: bad merges: {ex.Message} at {path}.merges", ex);
        }
    }
}
