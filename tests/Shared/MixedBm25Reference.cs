using System.Text.Json;

namespace Skald.Tests;

/// <summary>
/// <c>fixtures/bm25/mixed_bm25.json</c>, written by <c>fixtures/bm25/make_mixed_bm25.py</c>: documents of several
/// languages, each one's language, queries, and the scores of one BM25 field per language (stems by libstemmer, df per
/// field, N and average length of the whole collection), read once for every test that checks per-language BM25.
/// </summary>
internal sealed class MixedBm25Reference
{
    private MixedBm25Reference(JsonElement root)
    {
        Documents = [.. root.GetProperty("documents").EnumerateArray().Select(t => t.GetString()!)];
        Languages = [.. root.GetProperty("languages").EnumerateArray().Select(l => l.GetString())];
        Queries = [.. root.GetProperty("queries").EnumerateArray().Select(q => q.GetString()!)];
        Scores = [.. root.GetProperty("scores").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray())];
    }

    /// <summary>The reference as committed.</summary>
    public static MixedBm25Reference Load() =>
        new(JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "fixtures", "bm25", "mixed_bm25.json"))).RootElement);

    /// <summary>The documents' texts.</summary>
    public string[] Documents { get; }

    /// <summary>Each document's language (null: none, its field unstemmed).</summary>
    public string?[] Languages { get; }

    /// <summary>The queries.</summary>
    public string[] Queries { get; }

    /// <summary>Scores[q][d]: query q's BM25 score of document d.</summary>
    public double[][] Scores { get; }

    /// <summary>Each document's language by its text (the detector a test hands the code under test).</summary>
    public Dictionary<string, string?> LanguageByText() =>
        Documents.Select((t, i) => (t, Languages[i])).ToDictionary(p => p.t, p => p.Item2);
}
