using System.Text.Json;
using Skald.Models.Modules;

namespace Skald.Models.LateInteraction;

/// <summary>
/// How a PyLate ColBERT model turns texts into token vectors, as config_sentence_transformers.json says (PyLate's
/// <c>ColBERT.__init__</c> and <c>_load_sbert_model</c>); a key that is absent takes PyLate's default. A value of the
/// wrong type is a <see cref="ModelFormatException"/> naming the file and the key.
/// </summary>
/// <remarks>Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/models/colbert.py</remarks>
public sealed record ColbertSettings
{
    /// <summary>The file the settings are read from, in the model folder.</summary>
    public const string FileName = "config_sentence_transformers.json";

    /// <summary>query_prefix: the token put after a query's first token ("" for none). Default "[Q] ".</summary>
    public string QueryPrefix { get; init; } = "[Q] ";

    /// <summary>document_prefix: the token put after a document's first token ("" for none). Default "[D] ".</summary>
    public string DocumentPrefix { get; init; } = "[D] ";

    /// <summary>query_length: a query's tokens, prefix included (cut to it; with expansion padded to it). Default 32.</summary>
    public int QueryLength { get; init; } = 32;

    /// <summary>document_length: a document's most tokens, prefix included. Default 180.</summary>
    public int DocumentLength { get; init; } = 180;

    /// <summary>do_query_expansion: queries padded to <see cref="QueryLength"/> with [MASK] tokens, whose vectors are kept. Default true.</summary>
    public bool DoQueryExpansion { get; init; } = true;

    /// <summary>
    /// attend_to_expansion_tokens: whether a query's tokens attend to its expansion tokens (false: only the expansion
    /// tokens attend to the text's, as the original ColBERT). Default false; always false without expansion.
    /// </summary>
    public bool AttendToExpansionTokens { get; init; }

    /// <summary>skiplist_words: tokens whose vectors documents leave out (not queries). Default Python's string.punctuation, one character each.</summary>
    public IReadOnlyList<string> SkiplistWords { get; init; } = [.. "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".Select(c => c.ToString())];

    /// <summary>
    /// The settings of the model folder <paramref name="folder"/> (its config_sentence_transformers.json; PyLate's
    /// defaults when the file or a key is absent).
    /// </summary>
    public static ColbertSettings Read(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string file = Path.Combine(folder, FileName);
        var s = new ColbertSettings();
        if (!File.Exists(file)) return s;
        using var doc = JsonFiles.Read(file);
        var r = doc.RootElement;
        if (r.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{file}: expected a JSON object");
        s = s with
        {
            QueryPrefix = JsonFiles.Str(r, "query_prefix", file) ?? s.QueryPrefix,
            DocumentPrefix = JsonFiles.Str(r, "document_prefix", file) ?? s.DocumentPrefix,
            QueryLength = Length(r, "query_length", file) ?? s.QueryLength,
            DocumentLength = Length(r, "document_length", file) ?? s.DocumentLength,
            DoQueryExpansion = JsonFiles.Bool(r, "do_query_expansion", file, s.DoQueryExpansion),
            AttendToExpansionTokens = JsonFiles.Bool(r, "attend_to_expansion_tokens", file, s.AttendToExpansionTokens),
            SkiplistWords = Words(r, "skiplist_words", file) ?? s.SkiplistWords,
        };
        return s;
    }

    // A length of at least 2: the first token and the prefix (PyLate cuts the text to length − 1 before inserting it).
    private static int? Length(JsonElement r, string key, string file) => JsonFiles.Int(r, key, file) switch
    {
        int n and < 2 => throw new ModelFormatException($"{file}: key \"{key}\" must be at least 2 (tokens, the prefix included), found {n}"),
        var n => n,
    };

    private static string[]? Words(JsonElement r, string key, string file)
    {
        if (!r.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(w => w.ValueKind != JsonValueKind.String))
            throw new ModelFormatException($"{file}: key \"{key}\" must be a list of strings, found {Snippet(v.GetRawText())}");
        return [.. v.EnumerateArray().Select(w => w.GetString()!)];
    }

    // The value on one line (a pretty-printed list spans many), cut to 60 characters.
    private static string Snippet(string raw)
    {
        string line = string.Join(' ', raw.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= 60 ? line : line[..60] + "…";
    }
}
