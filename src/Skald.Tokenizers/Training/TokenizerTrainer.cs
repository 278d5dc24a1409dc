using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Training;

/// <summary>
/// Trains WordPiece, byte-level BPE and Unigram tokenizers on a corpus and writes a Hugging Face
/// tokenizer.json (loadable by HF tokenizers and by <see cref="Tokenizer.FromJson"/>).
/// </summary>
public static class TokenizerTrainer
{
    /// <summary>Trains and returns the tokenizer.json text.</summary>
    public static string TrainJson(IEnumerable<string> lines, TokenizerTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(options);
        if (options.VocabSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "vocab size must be positive");
        var specials = options.SpecialTokens ?? (options.Kind == TokenizerKind.WordPiece
            ? ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] : ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]);
        if (specials.Count != specials.Distinct(StringComparer.Ordinal).Count()) throw new ArgumentException("special tokens must be distinct");
        var components = Components(options, specials);
        var probe = Tokenizer.FromJson(Json(components, "{\"type\":\"WordLevel\",\"vocab\":{\"<probe>\":0},\"unk_token\":\"<probe>\"}", []), "trainer");
        var counts = CountWords(probe, lines);
        string model;
        switch (options.Kind)
        {
            case TokenizerKind.Unigram:
            {
                var alphabet = options.InitialAlphabet.Select(a => a.Replace(' ', '\u2581'));
                var pieces = new UnigramTrainer(options.VocabSize, options.MinFrequency).Train(counts, alphabet, specials.Count);
                var all = specials.Select(s => (s, 0.0)).Concat(pieces.Where(p => !specials.Contains(p.Piece)));
                model = UnigramJson(all.ToList(), specials.ToList().IndexOf(specials.FirstOrDefault(s => s.Contains("unk", StringComparison.OrdinalIgnoreCase)) ?? specials[0]));
                break;
            }
            default:
            {
                bool wp = options.Kind == TokenizerKind.WordPiece;
                IEnumerable<string> alphabet = options.InitialAlphabet;
                if (wp)
                {
                    // Every character both as a word start and as a continuation, so any word of the corpus is covered.
                    var chars = counts.Keys.SelectMany(w => w.EnumerateRunes().Select(r => r.ToString())).Concat(options.InitialAlphabet)
                        .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                    alphabet = chars.Concat(chars.Select(c => "##" + c));
                }
                else
                {
                    alphabet = ByteLevelAlphabet.ByteStrings.Concat(alphabet.SelectMany(a => ByteLevelChars(a)));
                }
                var (vocab, merges) = new BpeTrainer(options.VocabSize, options.MinFrequency, wp ? "##" : null).Train(counts, alphabet, specials.Count);
                var full = specials.Concat(vocab.Where(v => !specials.Contains(v))).ToList();
                model = wp ? WordPieceJson(full, specials.Contains("[UNK]") ? "[UNK]" : specials[0]) : BpeJson(full, merges);
                break;
            }
        }
        return Json(components, model, specials);
    }

    /// <summary>Trains and loads the result.</summary>
    public static Tokenizer Train(IEnumerable<string> lines, TokenizerTrainingOptions options) =>
        Tokenizer.FromJson(TrainJson(lines, options), "trained tokenizer");

    private static IEnumerable<string> ByteLevelChars(string s)
    {
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(s)) yield return ByteLevelAlphabet.ByteStrings[b];
    }

    private static Dictionary<string, long> CountWords(Tokenizer probe, IEnumerable<string> lines)
    {
        var global = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        Parallel.ForEach(lines, () => new Dictionary<string, long>(StringComparer.Ordinal), (line, _, local) =>
        {
            foreach (var w in probe.PreTokenizedWords(line)) local[w] = local.GetValueOrDefault(w) + 1;
            return local;
        }, local =>
        {
            foreach (var (w, c) in local) global.AddOrUpdate(w, c, (_, old) => old + c);
        });
        return new Dictionary<string, long>(global, StringComparer.Ordinal);
    }

    /// <summary>The tokenizer.json sections of the components around the model.</summary>
    private sealed record ComponentsJson(string Normalizer, string PreTokenizer, string PostProcessor, string Decoder);

    private static string Str(string s) => JsonSerializer.Serialize(s);

    private static ComponentsJson Components(TokenizerTrainingOptions o, IReadOnlyList<string> specials)
    {
        int Id(string t) => specials.ToList().IndexOf(t);
        switch (o.Kind)
        {
            case TokenizerKind.WordPiece:
            {
                string cls = specials.Contains("[CLS]") ? "[CLS]" : specials[0], sep = specials.Contains("[SEP]") ? "[SEP]" : specials[^1];
                return new ComponentsJson(
                    $$"""{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":{{(o.Lowercase ? "true" : "false")}}}""",
                    """{"type":"BertPreTokenizer"}""",
                    $$"""{"type":"BertProcessing","sep":[{{Str(sep)}},{{Id(sep)}}],"cls":[{{Str(cls)}},{{Id(cls)}}]}""",
                    """{"type":"WordPiece","prefix":"##","cleanup":true}""");
            }
            case TokenizerKind.Bpe:
            {
                string cls = specials.Contains("<s>") ? "<s>" : specials[0], sep = specials.Contains("</s>") ? "</s>" : specials[^1];
                return new ComponentsJson("null",
                    """{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}""",
                    $$"""{"type":"RobertaProcessing","sep":[{{Str(sep)}},{{Id(sep)}}],"cls":[{{Str(cls)}},{{Id(cls)}}],"trim_offsets":true,"add_prefix_space":false}""",
                    """{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}""");
            }
            default:
            {
                string bos = specials.Contains("<s>") ? "<s>" : specials[0], eos = specials.Contains("</s>") ? "</s>" : specials[^1];
                return new ComponentsJson(
                    """{"type":"Sequence","normalizers":[{"type":"Nmt"},{"type":"NFKC"},{"type":"Replace","pattern":{"Regex":" {2,}"},"content":" "}]}""",
                    """{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}""",
                    Template(Str(bos), Str(eos), Id(bos), Id(eos)),
                    """{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}""");
            }
        }
    }

    private static string Template(string bos, string eos, int bosId, int eosId)
    {
        string Sp(string id, int type) => "{\"SpecialToken\":{\"id\":" + id + ",\"type_id\":" + type + "}}";
        string Seq(string id, int type) => "{\"Sequence\":{\"id\":\"" + id + "\",\"type_id\":" + type + "}}";
        string Tok(string t, int id) => t + ":{\"id\":" + t + ",\"ids\":[" + id + "],\"tokens\":[" + t + "]}";
        return "{\"type\":\"TemplateProcessing\",\"single\":[" + Sp(bos, 0) + "," + Seq("A", 0) + "," + Sp(eos, 0) + "],\"pair\":["
            + Sp(bos, 0) + "," + Seq("A", 0) + "," + Sp(eos, 0) + "," + Seq("B", 1) + "," + Sp(eos, 1) + "],\"special_tokens\":{"
            + Tok(bos, bosId) + "," + Tok(eos, eosId) + "}}";
    }

    private static string Json(ComponentsJson p, string model, IReadOnlyList<string> specials)
    {
        var sb = new StringBuilder();
        sb.Append("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [");
        for (int i = 0; i < specials.Count; i++)
        {
            sb.Append(i == 0 ? "\n    " : ",\n    ");
            bool lstrip = specials[i] == "<mask>";
            sb.Append($$"""{"id":{{i}},"content":{{Str(specials[i])}},"single_word":false,"lstrip":{{(lstrip ? "true" : "false")}},"rstrip":false,"normalized":false,"special":true}""");
        }
        sb.Append("\n  ],\n");
        sb.Append("  \"normalizer\": ").Append(p.Normalizer).Append(",\n");
        sb.Append("  \"pre_tokenizer\": ").Append(p.PreTokenizer).Append(",\n");
        sb.Append("  \"post_processor\": ").Append(p.PostProcessor).Append(",\n");
        sb.Append("  \"decoder\": ").Append(p.Decoder).Append(",\n");
        sb.Append("  \"model\": ").Append(model).Append("\n}\n");
        return sb.ToString();
    }

    private static string VocabObject(IReadOnlyList<string> vocab)
    {
        var sb = new StringBuilder("{");
        for (int i = 0; i < vocab.Count; i++) sb.Append(i == 0 ? "\n      " : ",\n      ").Append(Str(vocab[i])).Append(':').Append(i);
        return sb.Append("\n    }").ToString();
    }

    private static string WordPieceJson(IReadOnlyList<string> vocab, string unk) =>
        $$"""{"type":"WordPiece","unk_token":{{Str(unk)}},"continuing_subword_prefix":"##","max_input_chars_per_word":100,"vocab":{{VocabObject(vocab)}}}""";

    private static string BpeJson(IReadOnlyList<string> vocab, List<(string A, string B)> merges)
    {
        var sb = new StringBuilder();
        sb.Append("""{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"ignore_merges":false,"vocab":""");
        sb.Append(VocabObject(vocab)).Append(",\"merges\":[");
        for (int i = 0; i < merges.Count; i++) sb.Append(i == 0 ? "\n      [" : ",\n      [").Append(Str(merges[i].A)).Append(',').Append(Str(merges[i].B)).Append(']');
        return sb.Append("\n    ]}").ToString();
    }

    private static string UnigramJson(List<(string Piece, double Score)> pieces, int unkId)
    {
        var sb = new StringBuilder();
        sb.Append("{\"type\":\"Unigram\",\"unk_id\":").Append(unkId).Append(",\"byte_fallback\":false,\"vocab\":[");
        for (int i = 0; i < pieces.Count; i++)
            sb.Append(i == 0 ? "\n      [" : ",\n      [").Append(Str(pieces[i].Piece)).Append(',').Append(pieces[i].Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append(']');
        return sb.Append("\n    ]}").ToString();
    }
}
