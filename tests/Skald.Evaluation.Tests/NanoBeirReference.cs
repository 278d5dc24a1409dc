using System.Text.Json;
using Skald.Evaluation.Evaluators;
using Skald.Models.Modules;

namespace Skald.Evaluation.Tests;

/// <summary>
/// fixtures/nanobeir/nanobeir_reference.json (make_nanobeir_reference.py, a restatement of sentence-transformers'
/// NanoBEIREvaluator): its two datasets read as <see cref="NanoBeirData"/>, and a model whose vectors are its own.
/// </summary>
internal static class NanoBeirReference
{
    /// <summary>The reference as committed.</summary>
    public static JsonElement Root { get; } =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "nanobeir", "nanobeir_reference.json"))).RootElement;

    /// <summary>Each dataset written as JSON-lines corpus, queries and qrels files and read back.</summary>
    public static List<NanoBeirData> Datasets() => [.. Root.GetProperty("datasets").EnumerateArray().Select(Dataset)];

    /// <summary>The metrics the reference expects under <paramref name="similarity"/> (<c>expected</c> for cosine, else <c>expected_by_similarity</c>).</summary>
    public static Dictionary<string, double> Expected(string similarity = "cosine") =>
        (similarity == "cosine" ? Root.GetProperty("expected") : Root.GetProperty("expected_by_similarity").GetProperty(similarity))
            .EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());

    /// <summary>A model embedding each text as the reference's vector of its first word, ranking by <paramref name="similarity"/>.</summary>
    public static FakeModel Model(SimilarityFunction similarity = SimilarityFunction.Cosine) => new(Root.GetProperty("vectors").EnumerateObject()
        .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetSingle()).ToArray()), similarity);

    private static NanoBeirData Dataset(JsonElement d)
    {
        string dir = TestPaths.NewTempDir();
        string Lines(string name, JsonElement rows)
        {
            string path = Path.Combine(dir, name);
            File.WriteAllLines(path, rows.EnumerateArray().Select(r => JsonSerializer.Serialize(r)));
            return path;
        }
        return NanoBeirData.Read(d.GetProperty("name").GetString()!, [Lines("corpus.jsonl", d.GetProperty("corpus"))],
            [Lines("queries.jsonl", d.GetProperty("queries"))], [Lines("qrels.jsonl", d.GetProperty("qrels"))]);
    }
}
