using System.Text.Json;

namespace Skald.Evaluation.Tests;

/// <summary>
/// A reference script's cross-encoder (fixtures/cross-encoder-*/make_*_reference.py): its JSON's <c>scores</c> table of
/// query → document → score.
/// </summary>
internal static class ScoreTable
{
    /// <summary>The root of a reference JSON file.</summary>
    public static JsonElement Load(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    /// <summary>Each pair's score from <paramref name="reference"/>'s table.</summary>
    public static float[] Scores(JsonElement reference, IReadOnlyList<(string Query, string Document)> pairs) =>
        [.. pairs.Select(p => reference.GetProperty("scores").GetProperty(p.Query).GetProperty(p.Document).GetSingle())];
}
